"""The event types the fold does not read change nothing in a client's state but the latest
event time: the profile handler relies on it to skip deriving the portrait for them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from reach_contracts import TOPICS, Event, Holding
from reach_profile.domain.rules import DEFAULT_RULES
from reach_profile.domain.state import FOLDED_EVENT_TYPES, ClientState, fold
from reach_sim import builders as make

START = datetime(2026, 6, 1, 1, 30, tzinfo=UTC)
UPSTREAM = {
    cls.model_fields["event_type"].default
    for topic in TOPICS.values()
    if topic.producer == "upstream"
    for cls in topic.events
}


def one_of_each(at: datetime) -> dict[str, Event]:
    held = [
        Holding(
            symbol="600519",
            instrument_type="stock",
            quantity=Decimal(100),
            market_value=Decimal(50_000),
            cost=Decimal(40_000),
        )
    ]
    events = [
        make.trade("C1", at, amount="910.00", price="9.10"),
        make.login("C1", at, channel="app"),
        make.transfer("C1", at, direction="in", amount="1000", method="bank"),
        make.positions("C1", at, trading_day=at.date(), cash=Decimal(10), holdings=held),
        make.account_opened("C1", at, advisor_id="ADV001"),
        make.risk_assessed("C1", at, risk_level="C3"),
        make.contact_changed("C1", at, email="c1@example.com"),
        make.consent_changed("C1", at, channel="sms", granted=True),
        make.account_closed("C1", at),
        make.product_purchased("C1", at, product_id="P1", amount="5000"),
        make.product_redeemed("C1", at, product_id="P1", amount="5000"),
        make.wechat_followed("C1", at),
        make.app_registered("C1", at),
        make.content_viewed("C1", at, content_id="CT1", topic="ipo"),
        make.referral_invited("C1", at, invitee_ref="R2"),
        make.message_replied("C1", at, channel="sms", text="yes"),
    ]
    return {e.event_type: e for e in events}


def folded(events: list[Event]) -> ClientState:
    state = ClientState(client_id="C1")
    for event in events:
        fold(state, event, history_days=DEFAULT_RULES.history_days)
    return state


def test_every_upstream_event_type_is_checked_here() -> None:
    assert set(one_of_each(START)) == UPSTREAM
    assert FOLDED_EVENT_TYPES <= UPSTREAM


@pytest.mark.parametrize("event_type", sorted(UPSTREAM - FOLDED_EVENT_TYPES))
def test_a_type_the_fold_does_not_read_moves_only_the_latest_event_time(event_type: str) -> None:
    state = folded([e for t, e in one_of_each(START).items() if t in FOLDED_EVENT_TYPES])
    before = state.model_dump(exclude={"latest_event_at"})
    later = START + timedelta(hours=3)

    fold(state, one_of_each(later)[event_type], history_days=DEFAULT_RULES.history_days)

    assert state.model_dump(exclude={"latest_event_at"}) == before
    assert state.latest_event_at == later


@pytest.mark.parametrize("event_type", sorted(FOLDED_EVENT_TYPES))
def test_a_type_the_fold_reads_changes_the_state(event_type: str) -> None:
    empty = ClientState(client_id="C1").model_dump(exclude={"latest_event_at"})
    state = folded([one_of_each(START)[event_type]])
    assert state.model_dump(exclude={"latest_event_at"}) != empty
