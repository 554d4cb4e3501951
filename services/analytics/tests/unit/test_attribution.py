"""Which goal event follows a touch within its window, and who gets the credit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from reach_analytics.domain.attribution import (
    ASSETS_GROWTH,
    FIRST_TRADE,
    VALID_ACCOUNT,
    VALID_ASSETS,
    Fact,
    Snapshot,
    Touch,
    conversion,
    credit,
    goals_fed_by,
    source_events,
)

T = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def at(days: float) -> datetime:
    return T + timedelta(days=days)


def test_the_first_goal_event_inside_the_window_converts_and_its_amounts_add_up() -> None:
    deposits = [Fact(at(-1), Decimal(9)), Fact(at(1), Decimal(100)), Fact(at(3), Decimal(50))]
    found = conversion("funds.transferred", T, WEEK, deposits)
    assert found is not None
    assert (found.at, found.amount) == (at(1), Decimal(150))


@pytest.mark.parametrize("when", [-1, 0, 7.001])
def test_an_event_before_the_touch_at_it_or_after_the_window_does_not_count(when: float) -> None:
    assert conversion("login.succeeded", T, WEEK, [Fact(at(when))]) is None


def test_the_window_includes_its_last_instant() -> None:
    assert conversion("login.succeeded", T, WEEK, [Fact(at(7))]) is not None


def test_a_first_trade_counts_only_when_the_clients_very_first_trade_follows_the_touch() -> None:
    first = conversion(FIRST_TRADE, T, WEEK, [Fact(at(2), Decimal(9000))])
    assert first is not None and first.amount == Decimal(9000)
    # the client had traded before the touch: a new trade is not a first trade
    assert conversion(FIRST_TRADE, T, WEEK, [Fact(at(-30)), Fact(at(2))]) is None


def snapshot(days: int, total: int) -> Snapshot:
    moment = at(days)
    return Snapshot(moment.date(), moment, Decimal(total))


def test_a_valid_account_is_reached_the_first_day_assets_reach_10000() -> None:
    assert VALID_ASSETS == 10_000
    found = conversion(VALID_ACCOUNT, T, WEEK, [], [snapshot(-1, 5000), snapshot(2, 10000)])
    assert found is not None and found.at == at(2)
    # valid before the touch already: nothing reached after it
    assert conversion(VALID_ACCOUNT, T, WEEK, [], [snapshot(-1, 20000), snapshot(2, 30000)]) is None


def test_assets_grow_against_the_last_snapshot_before_the_touch() -> None:
    days = [snapshot(-2, 50000), snapshot(-1, 40000), snapshot(1, 39000), snapshot(3, 41000)]
    found = conversion(ASSETS_GROWTH, T, WEEK, [], days)
    assert found is not None
    assert (found.at, found.amount) == (at(3), Decimal(1000))
    assert conversion(ASSETS_GROWTH, T, WEEK, [], days[:3]) is None


def test_goals_name_the_facts_they_are_computed_from() -> None:
    assert source_events(FIRST_TRADE) == ("trade.executed",)
    assert source_events("product.purchased") == ("product.purchased",)
    assert source_events(VALID_ACCOUNT) == ()
    assert set(goals_fed_by("trade.executed")) == {"trade.executed", FIRST_TRADE}


def touches() -> list[Touch]:
    return [
        Touch("CMP-early", at(0), "trade.executed", WEEK),
        Touch("CMP-late", at(1), "trade.executed", WEEK),
        Touch("CMP-deposit", at(0), "funds.transferred", WEEK),
    ]


def test_first_touch_credits_the_earliest_campaign_and_last_touch_the_latest() -> None:
    events = {"trade.executed": [Fact(at(2), Decimal(10))], "funds.transferred": [Fact(at(2))]}
    first = credit("C1", touches(), events, "first_touch")
    last = credit("C1", touches(), events, "last_touch")
    trades = [c for c in first if c.candidates != ("CMP-deposit",)]
    assert [(c.campaign_id, c.candidates) for c in trades] == [
        ("CMP-early", ("CMP-early", "CMP-late"))
    ]
    assert {c.campaign_id for c in last} == {"CMP-late", "CMP-deposit"}  # a deposit is not a trade


def test_an_event_only_one_window_holds_goes_to_that_campaign_in_both_views() -> None:
    events = {"trade.executed": [Fact(at(0.5))]}  # before CMP-late touched the client
    for view in ("first_touch", "last_touch"):
        (only,) = credit("C1", touches(), events, view)
        assert (only.campaign_id, only.candidates) == ("CMP-early", ("CMP-early",))


def test_a_snapshot_day_is_a_calendar_day() -> None:
    assert snapshot(1, 1).day == date(2026, 11, 24)
