"""Facts for analysis, recorded as they arrive in any order. Each campaign's touch of a client is
rebuilt from the stored facts whenever one of them arrives, so the result depends on the events'
times, never on their order of arrival."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from reach_contracts import (
    DeliveryFailed,
    DeliveryReceipted,
    DeliverySent,
    DeliverySuppressed,
    Event,
    FundsTransferred,
    PositionsSnapshot,
)
from reach_runtime.uow import UnitOfWork
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reach_analytics.adapters.counts import SEP, Counters, counters, touch_contribution
from reach_analytics.db.tables import (
    AssetSnapshotRow,
    ConversionEventRow,
    DeliveryRow,
    OutreachRow,
    ReceiptRow,
    TouchRow,
    aware,
)
from reach_analytics.domain.attribution import (
    FIRST_TRADE,
    SNAPSHOT_GOALS,
    Fact,
    Snapshot,
    conversion,
    goals_fed_by,
    source_events,
)

STATUS = {"delivery.sent": "sent", "delivery.failed": "failed", "delivery.suppressed": "suppressed"}
RANK = {"failed": 0, "suppressed": 1, "sent": 2}  # which of two outcomes at one instant stands
DECISION = {
    "outreach.requested": "requested",
    "outreach.held_out": "held_out",
    "outreach.suppressed": "suppressed",
}
Handler = Callable[[Any, UnitOfWork], Awaitable[None]]


@dataclass(frozen=True)
class Defaults:
    """What a decision is measured by when its event predates goal_event and the window."""

    goal_event: str = "trade.executed"
    window_days: float = 7.0


def _text(value: object) -> str | None:
    return None if value is None else str(value)


async def on_outreach(event: Event, uow: UnitOfWork, defaults: Defaults) -> None:
    """A decision, once per idempotency key; requested and held-out decisions make touches."""
    p: Any = event.payload
    if await uow.session.get(OutreachRow, p.idempotency_key) is not None:
        return
    decision = DECISION[event.event_type]
    uow.session.add(
        OutreachRow(
            idempotency_key=p.idempotency_key,
            campaign_id=p.campaign_id,
            campaign_name=p.campaign_name,
            client_id=event.client_id,
            held_out=decision == "held_out",
            decided_at=event.occurred_at,
            decision=decision,
            gate=getattr(p, "gate", None),
            reason=getattr(p, "reason", None),
            variant=getattr(p, "variant", None),
            channel=_text(getattr(p, "channel", None)),
            script_version=getattr(p, "script_version", None),
            segment_id=p.segment_id,
            goal_event=p.goal_event,
            window_days=p.attribution_window_days,
        )
    )
    count = counters(uow)
    count.add(p.campaign_id, "decision", decision)
    if decision == "suppressed":
        count.add(p.campaign_id, "gate", f"{p.gate}{SEP}{p.reason}")
    else:
        await refresh_touch(uow, p.campaign_id, event.client_id, defaults)


async def on_delivery(
    event: DeliverySent | DeliveryFailed | DeliverySuppressed, uow: UnitOfWork, defaults: Defaults
) -> None:
    """The outcome a send ended with (the latest in event time), and when it was first sent."""
    p = event.payload
    status = STATUS[event.event_type]
    sent_at = event.occurred_at if status == "sent" else None
    reason = getattr(p, "reason", None)
    reason = reason[:300] if reason else None
    count = counters(uow)
    row = await uow.session.get(DeliveryRow, p.idempotency_key)
    if row is None:
        _count_outcome(count, p.campaign_id, status, reason, 1)
        if sent_at is not None:
            count.add(p.campaign_id, "sent", "")
        uow.session.add(
            DeliveryRow(
                idempotency_key=p.idempotency_key,
                status=status,
                channel=str(p.channel),
                at=event.occurred_at,
                campaign_id=p.campaign_id,
                client_id=event.client_id,
                sent_at=sent_at,
                reason=reason,
            )
        )
    else:
        if (event.occurred_at, RANK[status]) >= (row.at, RANK[row.status]):
            _count_outcome(count, p.campaign_id, row.status, row.reason, -1)
            row.status, row.at, row.reason = status, event.occurred_at, reason
            row.channel = str(p.channel)
            _count_outcome(count, p.campaign_id, row.status, row.reason, 1)
        if sent_at is not None and (row.sent_at is None or sent_at < row.sent_at):
            if row.sent_at is None:
                count.add(p.campaign_id, "sent", "")
            row.sent_at = sent_at
    if sent_at is not None:
        await refresh_touch(uow, p.campaign_id, event.client_id, defaults)


def _count_outcome(
    count: Counters, campaign_id: str, status: str, reason: str | None, sign: int
) -> None:
    count.add(campaign_id, "delivery", status, sign)
    if status == "suppressed":
        count.add(campaign_id, "notifier", reason or "", sign)


async def on_receipt(event: DeliveryReceipted, uow: UnitOfWork) -> None:
    """A provider's receipt or an advisor's call outcome; each status counts once per send."""
    p = event.payload
    if await uow.session.get(ReceiptRow, (p.idempotency_key, str(p.status))) is None:
        counters(uow).add(p.campaign_id, "receipt", str(p.status))
        uow.session.add(
            ReceiptRow(
                idempotency_key=p.idempotency_key,
                status=str(p.status),
                campaign_id=p.campaign_id,
                channel=str(p.channel),
                at=event.occurred_at,
            )
        )


async def on_fact(event: Event, uow: UnitOfWork) -> None:
    """An upstream event a goal or a conversion path can name: type, time and amount only."""
    if isinstance(event, FundsTransferred) and event.payload.direction != "in":
        return  # a deposit is the goal; money leaving is not a conversion
    if await uow.session.get(ConversionEventRow, event.event_id) is not None:
        return
    amount = getattr(event.payload, "amount", None)
    uow.session.add(
        ConversionEventRow(
            event_id=event.event_id,
            client_id=event.client_id,
            event_type=event.event_type,
            occurred_at=event.occurred_at,
            amount=Decimal(amount) if amount is not None else None,
        )
    )
    await refresh_client(uow, event.client_id, goals_fed_by(event.event_type))


async def on_snapshot(event: PositionsSnapshot, uow: UnitOfWork) -> None:
    """An account's end-of-day total assets; a later snapshot of the same day replaces it."""
    p = event.payload
    row = await uow.session.get(AssetSnapshotRow, (p.account_id, p.trading_day))
    if row is None:
        uow.session.add(
            AssetSnapshotRow(
                account_id=p.account_id,
                trading_day=p.trading_day,
                client_id=event.client_id,
                occurred_at=event.occurred_at,
                total_assets=p.total_assets,
            )
        )
    elif event.occurred_at >= row.occurred_at:
        row.occurred_at, row.total_assets = event.occurred_at, p.total_assets
    else:
        return
    await refresh_client(uow, event.client_id, tuple(SNAPSHOT_GOALS))


async def refresh_touch(
    uow: UnitOfWork, campaign_id: str, client_id: str, defaults: Defaults
) -> None:
    """Rebuild one campaign's touch of one client from its decisions and deliveries."""
    session = uow.session
    rows = (
        await session.execute(
            select(OutreachRow, DeliveryRow)
            .outerjoin(DeliveryRow, DeliveryRow.idempotency_key == OutreachRow.idempotency_key)
            .where(OutreachRow.campaign_id == campaign_id, OutreachRow.client_id == client_id)
        )
    ).all()
    held = [(o.decided_at, o.idempotency_key, o, None) for o, _ in rows if o.held_out]
    sent = [
        (d.sent_at, o.idempotency_key, o, d)
        for o, d in rows
        if o.decision == "requested" and d is not None and d.sent_at is not None
    ]
    touch = await session.get(TouchRow, (campaign_id, client_id))
    before = touch_contribution(touch) if touch is not None else []
    count = counters(uow)
    count.apply(before, -1)
    if not held and not sent:
        if touch is not None:
            await session.delete(touch)
        return
    at, key, outreach, delivery = min(held or sent, key=lambda t: (t[0], t[1]))
    if touch is None:
        touch = TouchRow(campaign_id=campaign_id, client_id=client_id)
        session.add(touch)
    touch.arm = "holdout" if held else "treated"
    touch.idempotency_key, touch.touched_at = key, at
    touch.goal_event = outreach.goal_event or defaults.goal_event
    touch.window_days = float(outreach.window_days or defaults.window_days)
    touch.variant, touch.script_version = outreach.variant, outreach.script_version
    touch.channel = delivery.channel if delivery is not None else outreach.channel
    touch.segment_id = outreach.segment_id
    await _convert(session, touch)
    count.apply(touch_contribution(touch))


async def refresh_client(uow: UnitOfWork, client_id: str, goals: tuple[str, ...]) -> None:
    """A new fact: re-evaluate this client's touches whose goal it can change."""
    touches = await uow.session.scalars(
        select(TouchRow).where(TouchRow.client_id == client_id, TouchRow.goal_event.in_(goals))
    )
    count = counters(uow)
    for touch in list(touches):
        before = touch_contribution(touch)
        await _convert(uow.session, touch)
        after = touch_contribution(touch)
        if after != before:
            count.apply(before, -1)
            count.apply(after)


async def _convert(session: AsyncSession, touch: TouchRow) -> None:
    window = timedelta(days=touch.window_days)
    facts = await _facts(session, touch.client_id, touch.goal_event, touch.touched_at, window)
    snapshots = (
        await client_snapshots(session, touch.client_id)
        if touch.goal_event in SNAPSHOT_GOALS
        else []
    )
    found = conversion(touch.goal_event, touch.touched_at, window, facts, snapshots)
    touch.converted_at = found.at if found else None
    touch.converted_amount = found.amount if found else None


async def _facts(
    session: AsyncSession, client_id: str, goal: str, touched_at: datetime, window: timedelta
) -> list[Fact]:
    types = source_events(goal)
    if not types:
        return []
    query = select(ConversionEventRow.occurred_at, ConversionEventRow.amount).where(
        ConversionEventRow.client_id == client_id, ConversionEventRow.event_type.in_(types)
    )
    if goal == FIRST_TRADE:
        query = query.order_by(ConversionEventRow.occurred_at).limit(1)
    else:
        query = query.where(
            ConversionEventRow.occurred_at > touched_at,
            ConversionEventRow.occurred_at <= touched_at + window,
        ).order_by(ConversionEventRow.occurred_at, ConversionEventRow.event_id)
    return [Fact(at, amount) for at, amount in (await session.execute(query)).all()]


async def client_snapshots(session: AsyncSession, client_id: str) -> list[Snapshot]:
    """The client's end-of-day total assets: the sum over their accounts, per trading day."""
    rows = await session.execute(
        select(
            AssetSnapshotRow.trading_day,
            func.max(AssetSnapshotRow.occurred_at),
            func.sum(AssetSnapshotRow.total_assets),
        )
        .where(AssetSnapshotRow.client_id == client_id)
        .group_by(AssetSnapshotRow.trading_day)
        .order_by(AssetSnapshotRow.trading_day)
    )
    return [Snapshot(day, aware(at), Decimal(total)) for day, at, total in rows.all()]


FACT_TYPES = {
    "trading.trades.v1": ("trade.executed",),
    "trading.logins.v1": ("login.succeeded",),
    "trading.fund-transfers.v1": ("funds.transferred",),
    "products.subscriptions.v1": ("product.purchased",),
    "accounts.events.v1": ("account.opened", "account.risk_assessed"),
    "engagement.events.v1": (
        "wechat.followed",
        "app.registered",
        "referral.invited",
        "content.viewed",
        "message.replied",
    ),
}


def subscriptions(defaults: Defaults) -> dict[str, dict[str, Handler]]:
    """Topic -> event type -> handler; outreach and deliveries know the measuring defaults."""

    async def outreach(event: Event, uow: UnitOfWork) -> None:
        await on_outreach(event, uow, defaults)

    async def delivery(event: Any, uow: UnitOfWork) -> None:
        await on_delivery(event, uow, defaults)

    facts: dict[str, dict[str, Handler]] = {
        topic: {t: on_fact for t in types} for topic, types in FACT_TYPES.items()
    }
    return {
        "reach.outreach.v1": {t: outreach for t in DECISION},
        "reach.deliveries.v1": {**{t: delivery for t in STATUS}, "delivery.receipted": on_receipt},
        **facts,
        "trading.positions.v1": {"positions.snapshot": on_snapshot},
    }
