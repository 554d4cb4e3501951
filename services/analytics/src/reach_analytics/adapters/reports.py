"""Campaign results: stages, conversions within the attribution window, uplift against holdout."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reach_analytics.db.tables import ConversionEventRow, DeliveryRow, OutreachRow, ReceiptRow
from reach_analytics.domain.uplift import GroupResult, uplift


@dataclass(frozen=True)
class CampaignReport:
    campaign_id: str
    campaign_name: str
    requested: int
    held_out: int
    sent: int
    failed: int
    suppressed: int
    receipts: dict[str, int]  # delivered, opened, clicked, failed; call outcomes: reached, …
    treated: GroupResult
    holdout: GroupResult
    uplift: float | None


async def campaign_ids(session: AsyncSession) -> list[str]:
    return list(
        await session.scalars(
            select(OutreachRow.campaign_id).distinct().order_by(OutreachRow.campaign_id)
        )
    )


async def campaign_report(
    session: AsyncSession, campaign_id: str, *, window: timedelta
) -> CampaignReport | None:
    """A campaign's funnel; a client converts when a conversion event falls in (touch, touch + window]."""
    rows = (
        await session.execute(
            select(OutreachRow, DeliveryRow)
            .outerjoin(DeliveryRow, DeliveryRow.idempotency_key == OutreachRow.idempotency_key)
            .where(OutreachRow.campaign_id == campaign_id)
        )
    ).all()
    if not rows:
        return None
    events = await _conversion_times(session, {o.client_id for o, _ in rows})
    touches: dict[str, dict[str, datetime]] = {"treated": {}, "holdout": {}}
    status_counts: dict[str, int] = defaultdict(int)
    for outreach, delivery in rows:
        if delivery is not None:
            status_counts[delivery.status] += 1
        if outreach.held_out:
            _earliest(touches["holdout"], outreach.client_id, outreach.decided_at)
        elif delivery is not None and delivery.status == "sent":
            _earliest(touches["treated"], outreach.client_id, delivery.at)
    treated, holdout = (
        GroupResult(len(t), sum(_converted(events.get(c, []), at, window) for c, at in t.items()))
        for t in (touches["treated"], touches["holdout"])
    )
    return CampaignReport(
        campaign_id=campaign_id,
        campaign_name=rows[0][0].campaign_name,
        requested=sum(1 for o, _ in rows if not o.held_out),
        held_out=sum(1 for o, _ in rows if o.held_out),
        sent=status_counts["sent"],
        failed=status_counts["failed"],
        suppressed=status_counts["suppressed"],
        receipts=await _receipt_counts(session, campaign_id),
        treated=treated,
        holdout=holdout,
        uplift=uplift(treated, holdout),
    )


async def _receipt_counts(session: AsyncSession, campaign_id: str) -> dict[str, int]:
    rows = await session.execute(
        select(ReceiptRow.status, func.count())
        .where(ReceiptRow.campaign_id == campaign_id)
        .group_by(ReceiptRow.status)
        .order_by(ReceiptRow.status)
    )
    return {status: count for status, count in rows.all()}


def _earliest(touches: dict[str, datetime], client_id: str, at: datetime) -> None:
    if client_id not in touches or at < touches[client_id]:
        touches[client_id] = at


def _converted(times: list[datetime], touched_at: datetime, window: timedelta) -> bool:
    i = bisect_right(times, touched_at)
    return i < len(times) and times[i] <= touched_at + window


async def _conversion_times(session: AsyncSession, clients: set[str]) -> dict[str, list[datetime]]:
    times: dict[str, list[datetime]] = defaultdict(list)
    ordered = sorted(clients)
    for start in range(0, len(ordered), 500):
        result = await session.execute(
            select(ConversionEventRow.client_id, ConversionEventRow.occurred_at)
            .where(ConversionEventRow.client_id.in_(ordered[start : start + 500]))
            .order_by(ConversionEventRow.occurred_at)
        )
        for client_id, at in result:
            times[client_id].append(at)
    return times
