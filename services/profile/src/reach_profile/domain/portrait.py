"""The client portrait as a pure fold over a client's events (no I/O, no frameworks)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal

VALID_ACCOUNT_ASSETS = Decimal("10000")


@dataclass(frozen=True)
class Portrait:
    """What Reach knows about one client; `version` grows by one with each material change."""

    client_id: str
    version: int = 0
    as_of: datetime | None = None
    opened_on: date | None = None
    advisor_id: str | None = None
    risk_level: str | None = None
    closed: bool = False
    trade_count: int = 0
    trade_amount_total: Decimal = Decimal(0)
    last_trade_at: datetime | None = None
    login_count: int = 0
    last_login_at: datetime | None = None
    net_inflow_total: Decimal = Decimal(0)
    total_assets: Decimal | None = None
    cash: Decimal | None = None
    positions_as_of: datetime | None = None
    funded: bool = field(default=False)

    @property
    def lifecycle_stage(self) -> str:
        """opened → funded → valid → active (or closed); sleeping and dormant come with issue 4."""
        if self.closed:
            return "closed"
        if self.trade_count > 0:
            return "active"
        if self.total_assets is not None and self.total_assets >= VALID_ACCOUNT_ASSETS:
            return "valid"
        if self.funded:
            return "funded"
        return "opened"


def _later(current: datetime | None, candidate: datetime) -> datetime:
    """The later instant, in UTC (events carry their own offsets)."""
    candidate = candidate.astimezone(UTC)
    return candidate if current is None or candidate > current else current


def trade_executed(p: Portrait, *, at: datetime, amount: Decimal) -> Portrait:
    return replace(
        p,
        trade_count=p.trade_count + 1,
        trade_amount_total=p.trade_amount_total + amount,
        last_trade_at=_later(p.last_trade_at, at),
    )


def logged_in(p: Portrait, *, at: datetime) -> Portrait:
    return replace(p, login_count=p.login_count + 1, last_login_at=_later(p.last_login_at, at))


def funds_transferred(p: Portrait, *, direction: str, amount: Decimal) -> Portrait:
    signed = amount if direction == "in" else -amount
    return replace(
        p, net_inflow_total=p.net_inflow_total + signed, funded=p.funded or direction == "in"
    )


def positions_reported(
    p: Portrait, *, at: datetime, total_assets: Decimal, cash: Decimal
) -> Portrait:
    """A snapshot older than the one held is ignored: the latest by occurred_at wins."""
    if p.positions_as_of is not None and at <= p.positions_as_of:
        return p
    return replace(
        p,
        total_assets=total_assets,
        cash=cash,
        positions_as_of=at.astimezone(UTC),
        funded=p.funded or total_assets > 0,
    )


def account_opened(p: Portrait, *, opened_on: date, advisor_id: str | None) -> Portrait:
    return replace(p, opened_on=opened_on, advisor_id=advisor_id)


def risk_assessed(p: Portrait, *, risk_level: str) -> Portrait:
    return replace(p, risk_level=risk_level)


def account_closed(p: Portrait) -> Portrait:
    return replace(p, closed=True)


def next_version(before: Portrait, after: Portrait, *, at: datetime) -> Portrait:
    """Bump the version when something changed; `as_of` is the latest event time seen."""
    if after == before:
        return before
    return replace(after, version=before.version + 1, as_of=_later(before.as_of, at))
