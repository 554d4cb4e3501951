"""Which channel may carry an outreach, the campaign's fallback order, and provider protection."""

from __future__ import annotations

import asyncio
import random

from reach_notifier.domain.policy import Script, first_possible, refusal
from reach_notifier.domain.resilience import CircuitBreaker, RateLimit, backoff_s

ADDRESSES = {"client_id": "C1", "phone": "+86138", "email": None, "wechat_openid": "o1"}


def check(channel: str, purpose: str = "marketing", withdrawn=None) -> str | None:
    return refusal(channel=channel, purpose=purpose, addresses=ADDRESSES, withdrawn=withdrawn or {})


def test_wechat_template_messages_carry_service_notices_never_marketing() -> None:
    assert check("wechat", "marketing") == "wechat_marketing_forbidden"
    assert check("wechat", "service") is None


def test_a_withdrawn_consent_refuses_that_channel_and_purpose_only() -> None:
    withdrawn = {("sms", "marketing"): "sms_reply"}
    assert (
        check("sms", "marketing", withdrawn) == "no_consent (sms marketing withdrawn via sms_reply)"
    )
    assert check("sms", "service", withdrawn) is None
    assert check("advisor_task", "marketing", {("phone", "marketing"): "app"}).startswith(
        "no_consent"
    )


def test_a_channel_without_an_address_is_refused() -> None:
    assert check("email") == "no_contact (email)"
    assert check("advisor_task") == "no_contact (advisor_id)"


def test_the_first_possible_channel_in_the_campaigns_order_is_chosen() -> None:
    scripts = [
        Script("wechat", None, "a"),
        Script("email", None, "b"),
        Script("sms", None, "c"),
        Script("push", None, "d"),
    ]
    chosen, rest, reasons = first_possible(scripts, lambda s: check(s.channel))
    assert chosen == scripts[2]
    assert rest == [scripts[3]]
    assert reasons == ["wechat: wechat_marketing_forbidden", "email: no_contact (email)"]
    assert first_possible(scripts[:2], lambda s: check(s.channel))[0] is None


def test_backoff_doubles_up_to_the_cap_with_jitter_below_it() -> None:
    rng = random.Random(7)
    for attempt, full in [(1, 2), (2, 4), (3, 8), (10, 60)]:
        delays = [backoff_s(attempt, base_s=2, cap_s=60, rng=rng) for _ in range(200)]
        assert full / 2 <= min(delays) and max(delays) <= full
        assert len(set(delays)) > 100  # jittered, so retries do not arrive together


def test_the_breaker_opens_after_failures_in_a_row_and_lets_one_trial_through_after_cooldown() -> (
    None
):
    breaker = CircuitBreaker(threshold=2, cooldown_s=0)
    breaker.failed()
    assert not breaker.is_open
    breaker.succeeded()
    breaker.failed()
    breaker.failed()
    assert breaker.is_open and breaker.trial_due()
    breaker.succeeded()  # the trial answered
    assert not breaker.is_open and not breaker.trial_due()


def test_a_trial_is_not_spent_until_a_send_is_tried_and_one_at_a_time() -> None:
    breaker = CircuitBreaker(threshold=1, cooldown_s=60)
    breaker.failed()
    assert not breaker.trial_due()  # cooling down
    breaker.opened_at -= 61
    assert breaker.trial_due()
    assert breaker.trial_due()  # asking spends nothing (no send may be due yet)
    breaker.begin_trial()
    assert not breaker.trial_due()  # one trial in flight
    breaker.trial_at -= 61
    assert breaker.trial_due()  # that trial never answered: another may go


async def test_the_rate_limit_lets_a_burst_through_then_no_more_than_its_rate() -> None:
    limit = RateLimit(per_s=20, burst=5)
    loop = asyncio.get_running_loop()
    started, passed = loop.time(), 0
    while loop.time() - started < 0.5:
        await limit.acquire()
        passed += 1
    elapsed = loop.time() - started
    assert passed >= 5  # the burst at once
    assert passed <= 5 + 20 * elapsed + 1  # a slow machine gives fewer, never more
