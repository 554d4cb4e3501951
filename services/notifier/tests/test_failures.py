"""A provider that is down holds its sends (none lost, none failed) until it is back; a
permanent refusal is recorded and published with the provider's reason."""

from __future__ import annotations

import asyncio

import pytest
from reach_notifier.bootstrap import bootstrap
from reach_runtime.stack import Broker
from reach_runtime.testing import eventually, running
from reach_sim import builders as make

from .conftest import NOW, Providers, deliveries, outreach, settings_for

pytestmark = pytest.mark.kafka


async def test_an_outage_holds_sends_behind_the_breaker_and_a_permanent_refusal_says_why(
    database_url: str, broker: Broker, providers: Providers
) -> None:
    await broker.publish("accounts.events.v1", make.contact_changed("C9", NOW, phone="+86-bad"))
    settings = settings_for(
        database_url,
        broker,
        providers,
        retry_base_s=0.1,
        retry_cap_s=0.2,
        max_attempts=50,
        breaker_failures=2,
        breaker_cooldown_s=1,
    )
    providers.push.down = True
    async with running(bootstrap(settings)) as (runtime, client):
        await eventually(lambda: runtime.consumer.caught_up)
        keys = [f"K-push-{n}" for n in range(4)]
        await broker.publish(
            "reach.outreach.v1",
            *(
                outreach(key, f"C{n}", channel="push", subject="新基金")
                for n, key in enumerate(keys)
            ),
            outreach("K-bad", "C9", purpose="service", body="您的账单已出。"),
        )
        await asyncio.sleep(3)  # an outage of 3 s: retries every 0.1-0.2 s without a breaker
        waiting = (await client.get("/sends", params={"status": "pending"})).json()
        assert sorted(s["idempotency_key"] for s in waiting) == keys
        # two failures open the breaker; then one trial a second: far fewer than 4 × 15 tries
        assert len(providers.push.requests) <= 8, len(providers.push.requests)

        providers.push.down = False

        async def all_sent():
            sent = (await client.get("/sends", params={"status": "sent"})).json()
            return len(sent) == 4

        assert await eventually(all_sent, timeout_s=20)
        assert sorted(providers.push.accepted) == keys
        [bad] = (await client.get("/sends", params={"status": "failed"})).json()
        reason = "sms gateway isv.MOBILE_NUMBER_ILLEGAL: bad phone number"
        assert (bad["idempotency_key"], bad["last_error"], bad["attempts"]) == ("K-bad", reason, 1)

        events = await deliveries(broker, lambda es: len(es) >= 5)
        [failed] = [e for e in events if e.event_type == "delivery.failed"]
        assert (failed.payload.idempotency_key, failed.payload.reason) == ("K-bad", reason)


async def test_a_lost_answer_is_retried_only_where_the_provider_de_duplicates(
    database_url: str, broker: Broker, providers: Providers
) -> None:
    await broker.publish(
        "accounts.events.v1",
        make.contact_changed("C1", NOW, phone="+8613800138000", wechat_openid="oC1"),
    )
    settings = settings_for(
        database_url, broker, providers, provider_timeout_s=0.5, retry_base_s=0.1
    )
    providers.sms.delay_s = providers.wechat.delay_s = 1  # answers come after the timeout
    async with running(bootstrap(settings)) as (runtime, client):
        await eventually(lambda: runtime.consumer.caught_up)
        await broker.publish(
            "reach.outreach.v1",
            outreach("K-sms", "C1", purpose="service", body="您的账单已出。"),
            outreach("K-wechat", "C1", channel="wechat", purpose="service", subject="账单"),
        )
        assert await eventually(lambda: len(providers.sms.requests_for("K-sms")) >= 2)
        providers.sms.delay_s = 0

        async def settled():
            sends = {s["idempotency_key"]: s for s in (await client.get("/sends")).json()}
            sms, wechat = sends.get("K-sms"), sends.get("K-wechat")
            return sends if sms and wechat and sms["status"] == "sent" else None

        sends = await eventually(settled, timeout_s=20)
        assert sends, (await client.get("/sends")).json()
        assert sends["K-wechat"]["status"] == "unknown"
        assert sends["K-wechat"]["last_error"] == "provider timed out"
        assert len(providers.wechat.requests) == 1
        assert providers.sms.delivered_texts("+8613800138000") == ["【Reach证券】您的账单已出。"]
        assert sends["K-sms"]["provider_message_id"] == providers.sms.accepted["K-sms"]
