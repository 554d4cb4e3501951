"""The portrait as a pure fold over a client's events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from reach_profile.domain.portrait import (
    Portrait,
    account_closed,
    account_opened,
    funds_transferred,
    logged_in,
    next_version,
    positions_reported,
    risk_assessed,
    trade_executed,
)

BEIJING = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 23, 9, 30, tzinfo=BEIJING)
NEW = Portrait(client_id="C1")


def test_each_trade_counts_once_and_adds_its_amount() -> None:
    p = trade_executed(NEW, at=T0, amount=Decimal("910.00"))
    p = trade_executed(p, at=T0 + timedelta(minutes=5), amount=Decimal("89.50"))
    assert (p.trade_count, p.trade_amount_total) == (2, Decimal("999.50"))


def test_each_login_counts_once() -> None:
    p = logged_in(logged_in(NEW, at=T0), at=T0)
    assert p.login_count == 2


def test_last_times_are_kept_in_utc() -> None:
    p = logged_in(trade_executed(NEW, at=T0, amount=Decimal(1)), at=T0)
    assert p.last_trade_at == datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
    assert p.last_trade_at.utcoffset() == timedelta(0)
    assert p.last_login_at is not None and p.last_login_at.utcoffset() == timedelta(0)


def test_a_late_event_counts_but_does_not_move_the_last_time_backwards() -> None:
    p = trade_executed(NEW, at=T0, amount=Decimal(1))
    p = trade_executed(p, at=T0 - timedelta(days=1), amount=Decimal(1))
    p = logged_in(logged_in(p, at=T0), at=T0 - timedelta(hours=3))
    assert (p.trade_count, p.last_trade_at) == (2, T0)
    assert (p.login_count, p.last_login_at) == (2, T0)


def test_inflows_add_and_outflows_subtract_from_the_net_inflow() -> None:
    p = funds_transferred(NEW, direction="in", amount=Decimal("50000"))
    p = funds_transferred(p, direction="out", amount=Decimal("12000.50"))
    assert p.net_inflow_total == Decimal("37999.50")


def test_a_newer_positions_snapshot_replaces_the_held_one() -> None:
    p = positions_reported(NEW, at=T0, total_assets=Decimal(100), cash=Decimal(10))
    p = positions_reported(
        p, at=T0 + timedelta(hours=1), total_assets=Decimal(200), cash=Decimal(20)
    )
    assert (p.total_assets, p.cash) == (Decimal(200), Decimal(20))
    assert p.positions_as_of == (T0 + timedelta(hours=1)).astimezone(UTC)


def test_a_positions_snapshot_not_newer_than_the_held_one_is_ignored() -> None:
    held = positions_reported(NEW, at=T0, total_assets=Decimal(200), cash=Decimal(20))
    older = positions_reported(
        held, at=T0 - timedelta(seconds=1), total_assets=Decimal(1), cash=Decimal(1)
    )
    same_instant = positions_reported(
        held, at=T0.astimezone(UTC), total_assets=Decimal(1), cash=Decimal(1)
    )
    assert older == held
    assert same_instant == held


def test_opening_and_risk_assessment_are_recorded() -> None:
    p = account_opened(NEW, opened_on=date(2026, 11, 2), advisor_id="ADV0217")
    p = risk_assessed(p, risk_level="C4")
    assert (p.opened_on, p.advisor_id, p.risk_level) == (date(2026, 11, 2), "ADV0217", "C4")


def test_the_lifecycle_runs_opened_funded_valid_active_closed() -> None:
    stages = []
    p = account_opened(NEW, opened_on=date(2026, 11, 2), advisor_id=None)
    stages.append(p.lifecycle_stage)
    p = funds_transferred(p, direction="in", amount=Decimal(5000))
    stages.append(p.lifecycle_stage)
    p = positions_reported(p, at=T0, total_assets=Decimal(10_000), cash=Decimal(10_000))
    stages.append(p.lifecycle_stage)
    p = trade_executed(p, at=T0, amount=Decimal(910))
    stages.append(p.lifecycle_stage)
    p = account_closed(p)
    stages.append(p.lifecycle_stage)
    assert stages == ["opened", "funded", "valid", "active", "closed"]


def test_an_outflow_alone_does_not_make_an_account_funded() -> None:
    assert funds_transferred(NEW, direction="out", amount=Decimal(1)).lifecycle_stage == "opened"


def test_positions_with_assets_make_an_account_funded_and_below_the_threshold_not_valid() -> None:
    p = positions_reported(NEW, at=T0, total_assets=Decimal("9999.99"), cash=Decimal(0))
    assert p.lifecycle_stage == "funded"
    assert (
        positions_reported(NEW, at=T0, total_assets=Decimal(0), cash=Decimal(0)).lifecycle_stage
        == "opened"
    )


def test_the_version_is_bumped_once_per_change_and_as_of_is_the_latest_event_time() -> None:
    first = next_version(NEW, trade_executed(NEW, at=T0, amount=Decimal(1)), at=T0)
    late = next_version(
        first, logged_in(first, at=T0 - timedelta(days=1)), at=T0 - timedelta(days=1)
    )
    assert (first.version, first.as_of) == (1, T0)
    assert (late.version, late.as_of) == (2, T0)
    assert late.as_of is not None and late.as_of.utcoffset() == timedelta(0)


def test_the_version_stays_when_an_event_changes_nothing() -> None:
    held = next_version(
        NEW, positions_reported(NEW, at=T0, total_assets=Decimal(5), cash=Decimal(5)), at=T0
    )
    stale = positions_reported(
        held, at=T0 - timedelta(hours=1), total_assets=Decimal(1), cash=Decimal(1)
    )
    again = next_version(held, stale, at=T0 + timedelta(hours=2))
    assert again is held
    assert (again.version, again.as_of) == (1, T0)
