"""Files that replay, pacing in simulated time, and clients who answer with a planted uplift."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from reach_contracts import (
    DeliverySent,
    DeliverySentPayload,
    OutreachHeldOut,
    OutreachHeldOutPayload,
    OutreachRequested,
    OutreachRequestedPayload,
)
from reach_runtime.clock import ManualClock, ScaledClock
from reach_sim.brokerage import Brokerage
from reach_sim.output import Pacer, read_jsonl, topic_of, write_jsonl
from reach_sim.population import population
from reach_sim.responses import ANY, ResponseModel, ResponseRates

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_a_jsonl_file_replays_the_same_events(tmp_path: Path) -> None:
    clients = population(200, seed=1, start=date(2026, 11, 2), days=5)
    events = list(Brokerage(clients, seed=1, start=date(2026, 11, 2), days=5).history())
    path = tmp_path / "week.jsonl"
    assert write_jsonl(events, path) == len(events)
    assert list(read_jsonl(path)) == events


async def test_pacing_in_simulated_time_sends_an_event_when_the_clock_reaches_it() -> None:
    clock = ScaledClock(
        start=NOW, wall_start=time.time(), speed=600
    )  # 10 simulated minutes a second
    pacer = Pacer(clock=clock)
    event = _sent("k0", NOW + timedelta(minutes=3))
    before = time.monotonic()
    await pacer.wait(event)
    waited = time.monotonic() - before
    assert 0.2 <= waited <= 1.0  # 3 simulated minutes = 0.3 s
    assert clock.now() >= event.occurred_at


async def test_pacing_by_rate_spreads_events_evenly() -> None:
    pacer = Pacer(rate=200)
    before = time.monotonic()
    for n in range(41):
        await pacer.wait(_sent(f"k{n}", NOW))
    assert time.monotonic() - before >= 0.19  # 40 intervals of 5 ms


def _requested(key: str, campaign: str) -> OutreachRequested:
    return OutreachRequested(
        event_id=f"o-{key}",
        occurred_at=NOW,
        client_id=f"C{key}",
        payload=OutreachRequestedPayload(
            idempotency_key=key,
            campaign_id="camp-1",
            campaign_name=campaign,
            channel="email",
            purpose="service",
            body="hi",
            trigger_event_id="t",
        ),
    )


def _sent(key: str, at: datetime = NOW) -> DeliverySent:
    return DeliverySent(
        event_id=f"d-{key}",
        occurred_at=at,
        client_id=f"C{key}",
        payload=DeliverySentPayload(
            idempotency_key=key,
            campaign_id="camp-1",
            channel="email",
            provider_message_id=f"<{key}@reach>",
            attempt=1,
        ),
    )


def _held_out(key: str) -> OutreachHeldOut:
    return OutreachHeldOut(
        event_id=f"h-{key}",
        occurred_at=NOW,
        client_id=f"C{key}",
        payload=OutreachHeldOutPayload(
            idempotency_key=key, campaign_id="camp-1", campaign_name="Thanks", trigger_event_id="t"
        ),
    )


def test_touched_clients_convert_at_their_campaigns_chance_and_held_out_ones_at_the_baseline() -> (
    None
):
    rates = ResponseRates({("Thanks", ANY): 0.30, (ANY, ANY): 0.10}, baseline=0.05)
    model = ResponseModel(rates, seed=9)
    clock = ManualClock(NOW)
    trades = []
    for n in range(4000):
        model.react(_requested(f"t{n}", "Thanks"), clock)
        trades += model.react(_sent(f"t{n}"), clock)
    held = [t for n in range(4000) for t in model.react(_held_out(f"h{n}"), clock)]
    assert len(trades) / 4000 == pytest.approx(0.30, abs=0.025)
    assert len(held) / 4000 == pytest.approx(0.05, abs=0.012)
    assert rates.planted_uplift("Thanks", "email") == pytest.approx(0.25)
    assert rates.chance("Other", "sms") == 0.10
    assert all(t.event_type == "trade.executed" and t.occurred_at > NOW for t in trades)


def _with_goal(event, goal: str):
    return event.model_copy(
        update={"payload": event.payload.model_copy(update={"goal_event": goal})}
    )


def test_a_converting_client_does_the_goal_event_its_outreach_names_on_that_events_topic() -> None:
    model = ResponseModel(ResponseRates({(ANY, ANY): 1.0}, baseline=1.0), seed=3)
    clock = ManualClock(NOW)
    goals = ["login.succeeded", "funds.transferred", "product.purchased", "referral.invited"]
    answers = []
    for n, goal in enumerate(goals):
        model.react(_with_goal(_requested(f"g{n}", "Care"), goal), clock)
        answers += model.react(_sent(f"g{n}"), clock)
    answers += model.react(_with_goal(_held_out("g-held"), "login.succeeded"), clock)
    assert [a.event_type for a in answers] == [*goals, "login.succeeded"]
    assert answers[1].payload.direction == "in"  # money coming back is the deposit goal
    assert [topic_of(a) for a in answers[:2]] == ["trading.logins.v1", "trading.fund-transfers.v1"]


def test_reactions_are_the_same_for_the_same_seed_and_outreach() -> None:
    def run() -> list[str]:
        model = ResponseModel(ResponseRates(), seed=4)
        return [
            t.client_id for n in range(200) for t in model.react(_sent(f"x{n}"), ManualClock(NOW))
        ]

    assert run() == run()
