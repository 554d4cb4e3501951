"""Facts for analysis, recorded as they arrive in any order, with the counts they change. The
clients they concern are marked; their touches are rebuilt from the stored facts once per
transaction (handlers/touches.py), so results depend on the events' times, never on the order
they arrived in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
from sqlalchemy import select

from reach_analytics.adapters.counts import SEP, Counters, day_key
from reach_analytics.db.tables import (
    AssetSnapshotRow,
    ConversionEventRow,
    DeliveryRow,
    OutreachRow,
    ReceiptRow,
)
from reach_analytics.handlers.touches import Defaults, batch

STATUS = {"delivery.sent": "sent", "delivery.failed": "failed", "delivery.suppressed": "suppressed"}
RANK = {"failed": 0, "suppressed": 1, "sent": 2}  # which of two outcomes at one instant stands
DECISION = {
    "outreach.requested": "requested",
    "outreach.held_out": "held_out",
    "outreach.suppressed": "suppressed",
}
Handler = Callable[[Any, UnitOfWork], Awaitable[None]]
# what `preload` found for the batch, in uow.cache: keys (and rows) that exist already
OUTREACH, DELIVERIES, RECEIPTS, SNAPSHOTS = (
    "analytics.outreach",
    "analytics.deliveries",
    "analytics.receipts",
    "analytics.snapshots",
)
CHUNK = 500


async def preload(events: list[Event], uow: UnitOfWork) -> None:
    """Load in a few queries the rows the batch's handlers would look up one event at a time."""
    outreach, deliveries, receipts, accounts = set(), set(), set(), set()
    for event in events:
        p: Any = event.payload
        if event.event_type in DECISION:
            outreach.add(p.idempotency_key)
        elif event.event_type in STATUS:
            deliveries.add(p.idempotency_key)
        elif event.event_type == "delivery.receipted":
            receipts.add(p.idempotency_key)
        elif event.event_type == "positions.snapshot":
            accounts.add(p.account_id)
    session = uow.session
    known_outreach: set[str] = set()
    known_deliveries: dict[str, DeliveryRow] = {}
    known_receipts: set[tuple[str, str]] = set()
    known_snapshots: dict[tuple[str, Any], AssetSnapshotRow] = {}
    for chunk in _chunks(outreach):
        keys = select(OutreachRow.idempotency_key).where(OutreachRow.idempotency_key.in_(chunk))
        known_outreach.update(await session.scalars(keys))
    for chunk in _chunks(deliveries):
        rows = select(DeliveryRow).where(DeliveryRow.idempotency_key.in_(chunk))
        known_deliveries.update((r.idempotency_key, r) for r in await session.scalars(rows))
    for chunk in _chunks(receipts):
        pairs = select(ReceiptRow.idempotency_key, ReceiptRow.status).where(
            ReceiptRow.idempotency_key.in_(chunk)
        )
        known_receipts.update((k, s) for k, s in (await session.execute(pairs)).all())
    days = {e.payload.trading_day for e in events if e.event_type == "positions.snapshot"}  # type: ignore[attr-defined]
    for chunk in _chunks(accounts):
        snapshots = select(AssetSnapshotRow).where(
            AssetSnapshotRow.account_id.in_(chunk), AssetSnapshotRow.trading_day.in_(days)
        )
        known_snapshots.update(
            ((r.account_id, r.trading_day), r) for r in await session.scalars(snapshots)
        )
    uow.cache.update(
        {
            OUTREACH: known_outreach,
            DELIVERIES: known_deliveries,
            RECEIPTS: known_receipts,
            SNAPSHOTS: known_snapshots,
        }
    )


def _chunks(values: set[Any]) -> list[list[Any]]:
    ordered = sorted(values)
    return [ordered[i : i + CHUNK] for i in range(0, len(ordered), CHUNK)]


def _text(value: object) -> str | None:
    return None if value is None else str(value)


async def on_outreach(event: Event, uow: UnitOfWork) -> None:
    """A decision, once per idempotency key; requested and held-out decisions make touches."""
    p: Any = event.payload
    known = uow.cache.get(OUTREACH)
    if known is None:
        if await uow.session.get(OutreachRow, p.idempotency_key) is not None:
            return
    elif p.idempotency_key in known:
        return
    else:
        known.add(p.idempotency_key)
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
    work = batch(uow)
    work.counters.add(p.campaign_id, "decision", decision)
    work.counters.add(p.campaign_id, "day", day_key(event.occurred_at, decision))
    if decision == "suppressed":
        work.counters.add(p.campaign_id, "gate", f"{p.gate}{SEP}{p.reason}")
    else:
        work.touched(event.client_id)


async def on_delivery(
    event: DeliverySent | DeliveryFailed | DeliverySuppressed, uow: UnitOfWork
) -> None:
    """The outcome a send ended with (the latest in event time), and when it was first sent."""
    p = event.payload
    status = STATUS[event.event_type]
    sent_at = event.occurred_at if status == "sent" else None
    reason = getattr(p, "reason", None)
    reason = reason[:300] if reason else None
    work = batch(uow)
    count = work.counters
    known = uow.cache.get(DELIVERIES)
    if known is None:
        row = await uow.session.get(DeliveryRow, p.idempotency_key)
    else:
        row = known.get(p.idempotency_key)
    if row is None:
        _count_outcome(count, p.campaign_id, status, reason, 1)
        if sent_at is not None:
            count.add(p.campaign_id, "sent", "")
            count.add(p.campaign_id, "day", day_key(sent_at, "sent"))
        row = DeliveryRow(
            idempotency_key=p.idempotency_key,
            status=status,
            channel=str(p.channel),
            at=event.occurred_at,
            campaign_id=p.campaign_id,
            client_id=event.client_id,
            sent_at=sent_at,
            reason=reason,
        )
        uow.session.add(row)
        if known is not None:
            known[p.idempotency_key] = row
    else:
        if (event.occurred_at, RANK[status]) >= (row.at, RANK[row.status]):
            _count_outcome(count, p.campaign_id, row.status, row.reason, -1)
            row.status, row.at, row.reason = status, event.occurred_at, reason
            row.channel = str(p.channel)
            _count_outcome(count, p.campaign_id, row.status, row.reason, 1)
        if sent_at is not None and (row.sent_at is None or sent_at < row.sent_at):
            if row.sent_at is None:
                count.add(p.campaign_id, "sent", "")
            else:
                count.add(p.campaign_id, "day", day_key(row.sent_at, "sent"), -1)
            count.add(p.campaign_id, "day", day_key(sent_at, "sent"))
            row.sent_at = sent_at
    if sent_at is not None:
        work.touched(event.client_id)


def _count_outcome(
    count: Counters, campaign_id: str, status: str, reason: str | None, sign: int
) -> None:
    count.add(campaign_id, "delivery", status, sign)
    if status == "suppressed":
        count.add(campaign_id, "notifier", reason or "", sign)


async def on_receipt(event: DeliveryReceipted, uow: UnitOfWork) -> None:
    """A provider's receipt or an advisor's call outcome; each status counts once per send."""
    p = event.payload
    key = (p.idempotency_key, str(p.status))
    known = uow.cache.get(RECEIPTS)
    if known is None:
        fresh = await uow.session.get(ReceiptRow, key) is None
    else:
        fresh = key not in known
        known.add(key)
    if fresh:
        batch(uow).counters.add(p.campaign_id, "receipt", str(p.status))
        if p.status == "delivered":
            batch(uow).counters.add(p.campaign_id, "day", day_key(event.occurred_at, "delivered"))
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
    batch(uow).touched(event.client_id)


async def on_snapshot(event: PositionsSnapshot, uow: UnitOfWork) -> None:
    """An account's end-of-day total assets; a later snapshot of the same day replaces it."""
    p = event.payload
    key = (p.account_id, p.trading_day)
    known = uow.cache.get(SNAPSHOTS)
    row = await uow.session.get(AssetSnapshotRow, key) if known is None else known.get(key)
    if row is None:
        row = AssetSnapshotRow(
            account_id=p.account_id,
            trading_day=p.trading_day,
            client_id=event.client_id,
            occurred_at=event.occurred_at,
            total_assets=p.total_assets,
        )
        uow.session.add(row)
        if known is not None:
            known[key] = row
    elif event.occurred_at >= row.occurred_at:
        row.occurred_at, row.total_assets = event.occurred_at, p.total_assets
    else:
        return
    batch(uow).touched(event.client_id)


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
    """Topic -> event type -> handler; each transaction's batch knows the measuring defaults."""

    def bound(handler: Handler) -> Handler:
        async def run(event: Any, uow: UnitOfWork) -> None:
            batch(uow, defaults)
            await handler(event, uow)

        return run

    facts = {topic: dict.fromkeys(types, bound(on_fact)) for topic, types in FACT_TYPES.items()}
    return {
        "reach.outreach.v1": dict.fromkeys(DECISION, bound(on_outreach)),
        "reach.deliveries.v1": {
            **dict.fromkeys(STATUS, bound(on_delivery)),
            "delivery.receipted": bound(on_receipt),
        },
        **facts,
        "trading.positions.v1": {"positions.snapshot": bound(on_snapshot)},
    }
