"""Event-time correctness: any order of the same events gives the same state and portrait, and
duplicates, removed by the consumer's inbox, change nothing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reach_contracts import Event, Holding
from reach_profile.domain.rules import DEFAULT_RULES
from reach_profile.domain.state import ClientState, fold
from reach_profile.domain.view import derive
from reach_sim import builders as make

START = datetime(2026, 6, 1, 1, 30, tzinfo=UTC)
NOW = START + timedelta(days=200)


def _event(kind: int, minutes: int, amount: int, n: int) -> Event:
    at = START + timedelta(minutes=minutes)
    cid, eid = "C1", f"e{n}"
    if kind == 0:
        return make.trade(
            cid,
            at,
            amount=str(amount),
            event_id=eid,
            instrument_type=("stock", "etf", "fund")[n % 3],
            side=("buy", "sell")[n % 2],
            cost_sold=None if n % 2 == 0 else str(amount + n % 7 * 700 - 2100),
        )
    if kind == 1:
        return make.login(cid, at, channel=("app", "pc", "web")[n % 3], event_id=eid)
    if kind == 2:
        return make.transfer(
            cid,
            at,
            direction=("in", "out")[n % 2],
            amount=str(amount),
            method=("bank", "custody_transfer_out")[n % 5 == 0],
            event_id=eid,
        )
    if kind == 3:
        held = [
            Holding(
                symbol="600519",
                instrument_type="stock",
                quantity=Decimal(100),
                market_value=Decimal(amount),
                cost=Decimal(amount + n),
            )
        ]
        return make.positions(
            cid, at, trading_day=at.date(), cash=Decimal(n * 10), holdings=held, event_id=eid
        )
    if kind == 4:
        return make.risk_assessed(cid, at, risk_level=f"C{1 + n % 5}", event_id=eid)
    if kind == 5:
        return make.account_opened(cid, at, advisor_id=f"ADV{n % 4:03d}", event_id=eid)
    if kind == 6:
        return make.consent_changed(cid, at, channel="sms", granted=n % 2 == 0, event_id=eid)
    return make.content_viewed(
        cid, at, content_id=f"CT{n}", topic=("ipo", "macro", "funds")[n % 3], event_id=eid
    )


histories = st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 200 * 24 * 60), st.integers(1, 2_000_000)),
    min_size=1,
    max_size=60,
).map(lambda specs: [_event(k, m, a, n) for n, (k, m, a) in enumerate(specs)])


def _fold_all(events: list[Event]) -> ClientState:
    state = ClientState(client_id="C1")
    for event in events:
        fold(state, event, history_days=DEFAULT_RULES.history_days)
    return state


def _inbox(events: list[Event]) -> list[Event]:
    """What the consumer's inbox lets through: each event id once, first come."""
    seen: set[str] = set()
    return [e for e in events if not (e.event_id in seen or seen.add(e.event_id))]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories, st.randoms(use_true_random=False))
def test_a_shuffled_history_with_duplicates_folds_to_the_sorted_reference(
    events: list[Event], rng: random.Random
) -> None:
    delivered = events + rng.sample(events, k=len(events) // 2)  # redeliveries
    rng.shuffle(delivered)
    reference = _fold_all(sorted(events, key=lambda e: (e.occurred_at, e.event_id)))
    shuffled = _fold_all(_inbox(delivered))
    assert shuffled == reference
    assert derive(shuffled, NOW, DEFAULT_RULES) == derive(reference, NOW, DEFAULT_RULES)


def test_the_latest_assessment_by_event_time_wins_even_when_it_arrives_first() -> None:
    newer = make.risk_assessed("C1", START + timedelta(days=2), risk_level="C4", event_id="b")
    older = make.risk_assessed("C1", START, risk_level="C2", event_id="a")
    state = _fold_all([newer, older])
    assert derive(state, NOW, DEFAULT_RULES)["risk_level"] == "C4"
