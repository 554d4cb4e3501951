"""Campaign results, funnel, uplift and days, computed from a campaign's counts: the stored,
pre-aggregated ones (adapters/counts.py), or the same recounted from the rows (`from_rows`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reach_analytics.adapters.counts import (
    DAY_STAGES,
    NONE_KEY,
    SEP,
    Counts,
    Value,
    counted_campaigns,
    read_counts,
    recount,
)
from reach_analytics.db.tables import OutreachRow
from reach_analytics.domain.privacy import mask
from reach_analytics.domain.uplift import Comparison, GroupResult, compare

CALL_OUTCOMES = ("reached", "no_answer", "declined", "callback")
STAGES = (
    "eligible",
    "held_out",
    "suppressed",
    "requested",
    "sent",
    "delivered",
    "opened",
    "clicked",
    "converted",
)
DIMENSIONS = ("campaign", "variant", "channel", "script_version", "segment")


@dataclass(frozen=True)
class CampaignReport:
    campaign_id: str
    campaign_name: str
    goal_event: str | None
    window_days: float | None
    requested: int
    held_out: int
    suppressed_by_gate: int
    sent: int
    failed: int
    suppressed: int
    receipts: dict[str, int]  # delivered, opened, clicked, failed; call outcomes: reached, …
    comparison: Comparison
    converted_amount: Decimal


async def campaign_ids(session: AsyncSession) -> list[str]:
    return await counted_campaigns(session)


async def campaign_counts(
    session: AsyncSession, campaign_id: str, *, from_rows: bool = False, days: bool = False
) -> Counts | None:
    """The campaign's counts (pre-aggregated, or recounted from the rows, the per-day ones only
    when asked); None if nothing was recorded for it."""
    if from_rows:
        counts = await recount(session, campaign_id, days=days)
    else:
        counts = await read_counts(session, campaign_id)
    return counts if _of(counts, "decision") else None


def _of(counts: Counts, metric: str) -> dict[str, Value]:
    return {key: value for (m, key), value in counts.items() if m == metric}


def goal_of(counts: Counts) -> tuple[str | None, float | None]:
    """The goal most of the campaign's touches are measured by (a new version may change it)."""
    goals = _of(counts, "goal")
    if not goals:
        return None, None
    key = max(goals, key=lambda k: (goals[k][0], k))
    goal, window = key.split(SEP)
    return goal, float(window)


def _arm(counts: Counts, dim: str, arm: str) -> dict[str, Value]:
    prefix = arm + SEP
    return {
        key[len(prefix) :]: value
        for key, value in _of(counts, f"arm:{dim}").items()
        if key.startswith(prefix)
    }


def _group(value: Value | None) -> GroupResult:
    return GroupResult(value[0], value[1]) if value else GroupResult(0, 0)


async def campaign_report(
    session: AsyncSession, campaign_id: str, *, from_rows: bool = False
) -> CampaignReport | None:
    """A campaign's counts and its treated-against-holdout comparison."""
    counts = await campaign_counts(session, campaign_id, from_rows=from_rows)
    if counts is None:
        return None
    name = await session.scalar(
        select(OutreachRow.campaign_name).where(OutreachRow.campaign_id == campaign_id).limit(1)
    )
    return report_of(campaign_id, name or campaign_id, counts)


def report_of(campaign_id: str, name: str, counts: Counts) -> CampaignReport:
    decisions = _of(counts, "decision")
    outcomes = _of(counts, "delivery")
    treated = _arm(counts, "campaign", "treated").get("all")
    holdout = _arm(counts, "campaign", "holdout").get("all")
    goal, window = goal_of(counts)
    n = lambda values, key: values.get(key, (0, 0, 0))[0]  # noqa: E731
    return CampaignReport(
        campaign_id=campaign_id,
        campaign_name=name,
        goal_event=goal,
        window_days=window,
        requested=n(decisions, "requested"),
        held_out=n(decisions, "held_out"),
        suppressed_by_gate=n(decisions, "suppressed"),
        sent=n(outcomes, "sent"),
        failed=n(outcomes, "failed"),
        suppressed=n(outcomes, "suppressed"),
        receipts={k: v[0] for k, v in sorted(_of(counts, "receipt").items())},
        comparison=compare(_group(treated), _group(holdout)),
        converted_amount=treated[2] if treated else Decimal(0),
    )


@dataclass(frozen=True)
class Funnel:
    stages: list[tuple[str, int]]
    stopped: list[tuple[str, str, int]]  # gate, reason, count
    calls: dict[str, int]


async def funnel(
    session: AsyncSession, campaign_id: str, *, from_rows: bool = False
) -> Funnel | None:
    """Eligible decisions, what stopped them and why, and what became of the ones sent."""
    counts = await campaign_counts(session, campaign_id, from_rows=from_rows)
    return funnel_of(counts) if counts is not None else None


def funnel_of(counts: Counts) -> Funnel:
    decisions = {k: v[0] for k, v in _of(counts, "decision").items()}
    receipts = {k: v[0] for k, v in _of(counts, "receipt").items()}
    treated = _arm(counts, "campaign", "treated").get("all")
    sent = _of(counts, "sent").get("")
    values = {
        "eligible": sum(decisions.values()),
        "held_out": decisions.get("held_out", 0),
        "suppressed": decisions.get("suppressed", 0),
        "requested": decisions.get("requested", 0),
        "sent": sent[0] if sent else 0,
        "delivered": receipts.get("delivered", 0),
        "opened": receipts.get("opened", 0),
        "clicked": receipts.get("clicked", 0),
        "converted": treated[1] if treated else 0,
    }
    stopped = []
    for key, value in _of(counts, "gate").items():
        gate, _, reason = key.partition(SEP)
        stopped.append((gate or "unknown", mask(reason), value[0]))
    stopped += [("notifier", mask(key), v[0]) for key, v in _of(counts, "notifier").items()]
    stopped.sort(key=lambda s: (-s[2], s[0], s[1]))
    return Funnel(
        stages=[(s, values[s]) for s in STAGES],
        stopped=stopped,
        calls={o: receipts.get(o, 0) for o in CALL_OUTCOMES},
    )


@dataclass(frozen=True)
class UpliftRow:
    key: str
    comparison: Comparison
    holdout_scope: str  # "same_key" or "campaign"
    converted_amount: Decimal


async def uplift_by(
    session: AsyncSession, campaign_id: str, by: str, *, from_rows: bool = False
) -> list[UpliftRow] | None:
    counts = await campaign_counts(session, campaign_id, from_rows=from_rows)
    return uplift_of(campaign_id, counts, by) if counts is not None else None


def uplift_of(campaign_id: str, counts: Counts, by: str) -> list[UpliftRow]:
    """Treated against holdout per value of `by`. Held-out clients carry no channel or script
    (nothing was sent), so those compare with the campaign's whole holdout; variant and segment
    compare with the holdout of the same key when every held-out touch carries one."""
    treated = _arm(counts, by, "treated")
    holdouts = _arm(counts, by, "holdout")
    whole = _arm(counts, "campaign", "holdout").get("all")
    per_key = by in ("variant", "segment") and holdouts and NONE_KEY not in holdouts
    rows = []
    for key in sorted(treated):
        if by == "campaign" or not per_key:
            holdout, scope = whole, "campaign"
        else:
            holdout, scope = holdouts.get(key), "same_key"
        rows.append(
            UpliftRow(
                campaign_id if by == "campaign" else key,
                compare(_group(treated[key]), _group(holdout)),
                scope,
                treated[key][2],
            )
        )
    if not rows and whole:  # only a holdout so far
        key = campaign_id if by == "campaign" else NONE_KEY
        rows.append(
            UpliftRow(key, compare(GroupResult(0, 0), _group(whole)), "campaign", Decimal(0))
        )
    return rows


async def daily(
    session: AsyncSession, campaign_id: str, *, from_rows: bool = False
) -> list[dict[str, Any]] | None:
    """Per Asia/Shanghai day: decisions, sends, deliveries and treated conversions."""
    counts = await campaign_counts(session, campaign_id, from_rows=from_rows, days=True)
    return daily_of(counts) if counts is not None else None


def daily_of(counts: Counts) -> list[dict[str, Any]]:
    days: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(DAY_STAGES, 0))
    for key, value in _of(counts, "day").items():
        day, _, stage = key.partition(SEP)
        days[day][stage] += value[0]
    return [{"day": day, **days[day]} for day in sorted(days)]
