"""Campaign results read from the stored facts: decisions, deliveries, receipts and touches."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from reach_analytics.db.tables import DeliveryRow, OutreachRow, ReceiptRow, TouchRow
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
DIMENSIONS = {
    "campaign": None,
    "variant": TouchRow.variant,
    "channel": TouchRow.channel,
    "script_version": TouchRow.script_version,
    "segment": TouchRow.segment_id,
}
NONE_KEY = "(none)"


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
    return list(
        await session.scalars(
            select(OutreachRow.campaign_id).distinct().order_by(OutreachRow.campaign_id)
        )
    )


async def _decisions(session: AsyncSession, campaign_id: str) -> dict[str, int]:
    rows = await session.execute(
        select(OutreachRow.decision, func.count())
        .where(OutreachRow.campaign_id == campaign_id)
        .group_by(OutreachRow.decision)
    )
    return {decision: count for decision, count in rows.all()}


async def _goal(session: AsyncSession, campaign_id: str) -> tuple[str | None, float | None]:
    """The goal and window of the campaign's latest touch (a new version may change them)."""
    row = (
        await session.execute(
            select(TouchRow.goal_event, TouchRow.window_days)
            .where(TouchRow.campaign_id == campaign_id)
            .order_by(TouchRow.touched_at.desc())
            .limit(1)
        )
    ).first()
    return (row[0], float(row[1])) if row else (None, None)


async def _arms(
    session: AsyncSession, campaign_id: str, key: ColumnElement[Any] | None = None
) -> dict[tuple[str, str], tuple[int, int, Decimal]]:
    """(arm, key) -> clients, converted, converted amount."""
    column = literal("all") if key is None else func.coalesce(key, NONE_KEY)
    rows = await session.execute(
        select(
            TouchRow.arm,
            column,
            func.count(),
            func.count(TouchRow.converted_at),
            func.sum(TouchRow.converted_amount),
        )
        .where(TouchRow.campaign_id == campaign_id)
        .group_by(TouchRow.arm, column)
    )
    return {
        (arm, k): (clients, converted, Decimal(amount or 0))
        for arm, k, clients, converted, amount in rows.all()
    }


async def campaign_report(session: AsyncSession, campaign_id: str) -> CampaignReport | None:
    """A campaign's counts and its treated-against-holdout comparison."""
    name = await session.scalar(
        select(OutreachRow.campaign_name).where(OutreachRow.campaign_id == campaign_id).limit(1)
    )
    if name is None:
        return None
    decisions = await _decisions(session, campaign_id)
    statuses = await session.execute(
        select(DeliveryRow.status, func.count())
        .where(DeliveryRow.campaign_id == campaign_id)
        .group_by(DeliveryRow.status)
    )
    status_counts = dict(statuses.all())
    arms = await _arms(session, campaign_id)
    treated = arms.get(("treated", "all"), (0, 0, Decimal(0)))
    holdout = arms.get(("holdout", "all"), (0, 0, Decimal(0)))
    goal, window = await _goal(session, campaign_id)
    return CampaignReport(
        campaign_id=campaign_id,
        campaign_name=name,
        goal_event=goal,
        window_days=window,
        requested=decisions.get("requested", 0),
        held_out=decisions.get("held_out", 0),
        suppressed_by_gate=decisions.get("suppressed", 0),
        sent=status_counts.get("sent", 0),
        failed=status_counts.get("failed", 0),
        suppressed=status_counts.get("suppressed", 0),
        receipts=await receipt_counts(session, campaign_id),
        comparison=compare(GroupResult(*treated[:2]), GroupResult(*holdout[:2])),
        converted_amount=treated[2],
    )


async def receipt_counts(session: AsyncSession, campaign_id: str) -> dict[str, int]:
    rows = await session.execute(
        select(ReceiptRow.status, func.count())
        .where(ReceiptRow.campaign_id == campaign_id)
        .group_by(ReceiptRow.status)
        .order_by(ReceiptRow.status)
    )
    return {status: count for status, count in rows.all()}


@dataclass(frozen=True)
class Funnel:
    stages: list[tuple[str, int]]
    stopped: list[tuple[str, str, int]]  # gate, reason, count
    calls: dict[str, int]


async def funnel(session: AsyncSession, campaign_id: str) -> Funnel | None:
    """Eligible decisions, what stopped them and why, and what became of the ones sent."""
    decisions = await _decisions(session, campaign_id)
    if not decisions:
        return None
    sent = await session.scalar(
        select(func.count(DeliveryRow.sent_at)).where(DeliveryRow.campaign_id == campaign_id)
    )
    receipts = await receipt_counts(session, campaign_id)
    converted = await session.scalar(
        select(func.count(TouchRow.converted_at)).where(
            TouchRow.campaign_id == campaign_id, TouchRow.arm == "treated"
        )
    )
    counts = {
        "eligible": sum(decisions.values()),
        "held_out": decisions.get("held_out", 0),
        "suppressed": decisions.get("suppressed", 0),
        "requested": decisions.get("requested", 0),
        "sent": sent or 0,
        "delivered": receipts.get("delivered", 0),
        "opened": receipts.get("opened", 0),
        "clicked": receipts.get("clicked", 0),
        "converted": converted or 0,
    }
    gates = await session.execute(
        select(OutreachRow.gate, OutreachRow.reason, func.count())
        .where(OutreachRow.campaign_id == campaign_id, OutreachRow.decision == "suppressed")
        .group_by(OutreachRow.gate, OutreachRow.reason)
    )
    notifier = await session.execute(
        select(DeliveryRow.reason, func.count())
        .where(DeliveryRow.campaign_id == campaign_id, DeliveryRow.status == "suppressed")
        .group_by(DeliveryRow.reason)
    )
    stopped = [(g or "unknown", mask(r or ""), n) for g, r, n in gates.all()]
    stopped += [("notifier", mask(r or ""), n) for r, n in notifier.all()]
    stopped.sort(key=lambda s: (-s[2], s[0], s[1]))
    return Funnel(
        stages=[(s, counts[s]) for s in STAGES],
        stopped=stopped,
        calls={o: receipts.get(o, 0) for o in CALL_OUTCOMES},
    )


@dataclass(frozen=True)
class UpliftRow:
    key: str
    comparison: Comparison
    holdout_scope: str  # "same_key" or "campaign"
    converted_amount: Decimal


async def uplift_by(session: AsyncSession, campaign_id: str, by: str) -> list[UpliftRow]:
    """Treated against holdout per value of `by`. Held-out clients carry no channel or script
    (nothing was sent), so those compare with the campaign's whole holdout; variant and segment
    compare with the holdout of the same key when every held-out touch carries it."""
    column = DIMENSIONS[by]
    arms = await _arms(session, campaign_id, column)
    whole = await _arms(session, campaign_id)
    whole_holdout = whole.get(("holdout", "all"), (0, 0, Decimal(0)))
    holdout_keys = {k for arm, k in arms if arm == "holdout"}
    per_key = by in ("variant", "segment") and NONE_KEY not in holdout_keys and holdout_keys
    rows = []
    for arm, key in sorted(arms):
        if arm != "treated":
            continue
        treated = arms[arm, key]
        if by == "campaign" or not per_key:
            holdout, scope = whole_holdout, "campaign"
        else:
            holdout, scope = arms.get(("holdout", key), (0, 0, Decimal(0))), "same_key"
        comparison = compare(GroupResult(*treated[:2]), GroupResult(*holdout[:2]))
        rows.append(
            UpliftRow(campaign_id if by == "campaign" else key, comparison, scope, treated[2])
        )
    if not rows and whole_holdout[0]:  # only a holdout so far: show it against nothing
        rows.append(
            UpliftRow(
                campaign_id if by == "campaign" else NONE_KEY,
                compare(GroupResult(0, 0), GroupResult(*whole_holdout[:2])),
                "campaign",
                Decimal(0),
            )
        )
    return rows


def _local_day(column: Any, dialect: str) -> Any:
    """The Asia/Shanghai calendar day of a stored UTC time (UTC+8 all year, no summer time)."""
    if dialect == "sqlite":
        return func.date(column, "+8 hours")
    return func.date(func.timezone("Asia/Shanghai", column))


async def daily(session: AsyncSession, campaign_id: str) -> list[dict[str, Any]] | None:
    """Per Asia/Shanghai day: decisions, sends, deliveries and treated conversions."""
    dialect = session.bind.dialect.name
    days: dict[str, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(
            ("requested", "held_out", "suppressed", "sent", "delivered", "converted"), 0
        )
    )

    async def count(column: Any, *where: Any, stage: str | None = None, by: Any = None) -> None:
        day = _local_day(column, dialect)
        keys = (day, by) if by is not None else (day,)
        result = await session.execute(select(*keys, func.count()).where(*where).group_by(*keys))
        for row in result.all():
            days[str(row[0])][stage or row[1]] += row[-1]

    await count(
        OutreachRow.decided_at, OutreachRow.campaign_id == campaign_id, by=OutreachRow.decision
    )
    if not days:
        return None
    await count(
        DeliveryRow.sent_at,
        DeliveryRow.campaign_id == campaign_id,
        DeliveryRow.sent_at.is_not(None),
        stage="sent",
    )
    await count(
        ReceiptRow.at,
        ReceiptRow.campaign_id == campaign_id,
        ReceiptRow.status == "delivered",
        stage="delivered",
    )
    await count(
        TouchRow.converted_at,
        TouchRow.campaign_id == campaign_id,
        TouchRow.arm == "treated",
        TouchRow.converted_at.is_not(None),
        stage="converted",
    )
    return [{"day": day, **days[day]} for day in sorted(days) if day and day != "None"]


def parse_day(value: str) -> date:
    return date.fromisoformat(value)
