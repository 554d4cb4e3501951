"""Attribution: did a campaign's goal follow a touch within its window, and which campaign gets
the credit when several touched the client. Pure functions over facts in event time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

FIRST_TRADE = "first_trade"  # the client's earliest trade.executed ever
VALID_ACCOUNT = "valid_account"  # the first end-of-day total assets at or above VALID_ASSETS
ASSETS_GROWTH = "assets_growth"  # an end-of-day total above the last one before the touch
DERIVED_GOALS = frozenset({FIRST_TRADE, VALID_ACCOUNT, ASSETS_GROWTH})
SNAPSHOT_GOALS = frozenset({VALID_ACCOUNT, ASSETS_GROWTH})
VALID_ASSETS = Decimal(10_000)  # DOMAIN.md's valid account


@dataclass(frozen=True)
class Fact:
    """An upstream event a goal may name: when, and its amount in CNY if it has one."""

    at: datetime
    amount: Decimal | None = None


@dataclass(frozen=True)
class Snapshot:
    """A client's end-of-day total assets (the sum over their accounts' snapshots that day)."""

    day: date
    at: datetime
    total: Decimal


@dataclass(frozen=True)
class Conversion:
    at: datetime
    amount: Decimal | None


def source_events(goal: str) -> tuple[str, ...]:
    """The stored fact types a goal is computed from (snapshot goals read snapshots)."""
    if goal == FIRST_TRADE:
        return ("trade.executed",)
    if goal in SNAPSHOT_GOALS:
        return ()
    return (goal,)


def goals_fed_by(event_type: str) -> tuple[str, ...]:
    """The goals a newly stored fact of this type can change."""
    return (event_type, FIRST_TRADE) if event_type == "trade.executed" else (event_type,)


def conversion(
    goal: str,
    touched_at: datetime,
    window: timedelta,
    facts: Sequence[Fact],
    snapshots: Sequence[Snapshot] = (),
) -> Conversion | None:
    """The goal's first occurrence in (touched_at, touched_at + window], or None.

    `facts` are the client's facts of `source_events(goal)`, `snapshots` their end-of-day totals,
    both in time order. The amount is the sum of the goal events' amounts in the window (a
    deposit goal: all deposits), the first trade's amount, or the growth of total assets."""
    end = touched_at + window
    if goal == FIRST_TRADE:
        first = facts[0] if facts else None
        if first is not None and touched_at < first.at <= end:
            return Conversion(first.at, first.amount)
        return None
    if goal == VALID_ACCOUNT:
        reached = next((s for s in snapshots if s.total >= VALID_ASSETS), None)
        if reached is not None and touched_at < reached.at <= end:
            return Conversion(reached.at, reached.total)
        return None
    if goal == ASSETS_GROWTH:
        before = [s for s in snapshots if s.at <= touched_at]
        baseline = before[-1].total if before else Decimal(0)
        grown = next(
            (s for s in snapshots if touched_at < s.at <= end and s.total > baseline), None
        )
        return Conversion(grown.at, grown.total - baseline) if grown is not None else None
    inside = [f for f in facts if touched_at < f.at <= end]
    if not inside:
        return None
    amounts = [f.amount for f in inside if f.amount is not None]
    return Conversion(inside[0].at, sum(amounts, Decimal(0)) if amounts else None)


@dataclass(frozen=True)
class Touch:
    """A treated touch of one client by one campaign, with that campaign's goal and window."""

    campaign_id: str
    at: datetime
    goal: str
    window: timedelta


@dataclass(frozen=True)
class Credit:
    """One goal event of one client credited to one campaign."""

    campaign_id: str
    client_id: str
    event_at: datetime
    amount: Decimal | None
    candidates: tuple[str, ...]  # every campaign whose window held this event


def credit(
    client_id: str,
    touches: Iterable[Touch],
    events: Mapping[str, Sequence[Fact]],
    view: str,
) -> list[Credit]:
    """Each goal event in the window of one or more touches goes to the earliest touch
    (view first_touch) or the latest (last_touch) among the campaigns whose goal it is."""
    candidates: dict[tuple[str, datetime], list[tuple[Touch, Fact]]] = {}
    for touch in touches:
        facts = events.get(touch.goal, ())
        for fact in facts:
            if touch.at < fact.at <= touch.at + touch.window:
                candidates.setdefault((touch.goal, fact.at), []).append((touch, fact))
    credits = []
    for (_goal, at), pairs in sorted(candidates.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        pick = min if view == "first_touch" else max
        touch, fact = pick(pairs, key=lambda p: (p[0].at, p[0].campaign_id))
        held = tuple(sorted({t.campaign_id for t, _ in pairs}))
        credits.append(Credit(touch.campaign_id, client_id, at, fact.amount, held))
    return credits
