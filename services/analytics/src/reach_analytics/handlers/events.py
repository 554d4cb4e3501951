"""Facts for analysis, recorded as they arrive in any order; attribution is computed on read."""

from __future__ import annotations

from reach_contracts import (
    DeliveryFailed,
    DeliveryReceipted,
    DeliverySent,
    DeliverySuppressed,
    Event,
    TradeExecuted,
)
from reach_runtime.uow import UnitOfWork

from reach_analytics.db.tables import ConversionEventRow, DeliveryRow, OutreachRow, ReceiptRow

STATUS = {"delivery.sent": "sent", "delivery.failed": "failed", "delivery.suppressed": "suppressed"}


async def on_outreach(event: Event, uow: UnitOfWork) -> None:
    p = event.payload
    if await uow.session.get(OutreachRow, p.idempotency_key) is None:
        uow.session.add(
            OutreachRow(
                idempotency_key=p.idempotency_key,
                campaign_id=p.campaign_id,
                campaign_name=p.campaign_name,
                client_id=event.client_id,
                held_out=event.event_type == "outreach.held_out",
                decided_at=event.occurred_at,
            )
        )


async def on_delivery(
    event: DeliverySent | DeliveryFailed | DeliverySuppressed, uow: UnitOfWork
) -> None:
    """The outcome a send ended with; a later outcome for the same key replaces an earlier one."""
    p = event.payload
    row = await uow.session.get(DeliveryRow, p.idempotency_key)
    if row is None:
        uow.session.add(
            DeliveryRow(
                idempotency_key=p.idempotency_key,
                status=STATUS[event.event_type],
                channel=str(p.channel),
                at=event.occurred_at,
            )
        )
    elif event.occurred_at >= row.at:
        row.status, row.at = STATUS[event.event_type], event.occurred_at


async def on_receipt(event: DeliveryReceipted, uow: UnitOfWork) -> None:
    """A provider's receipt or an advisor's call outcome; each status counts once per send."""
    p = event.payload
    if await uow.session.get(ReceiptRow, (p.idempotency_key, str(p.status))) is None:
        uow.session.add(
            ReceiptRow(
                idempotency_key=p.idempotency_key,
                status=str(p.status),
                campaign_id=p.campaign_id,
                channel=str(p.channel),
                at=event.occurred_at,
            )
        )


async def on_trade(event: TradeExecuted, uow: UnitOfWork) -> None:
    uow.session.add(
        ConversionEventRow(
            event_id=event.event_id,
            client_id=event.client_id,
            event_type=event.event_type,
            occurred_at=event.occurred_at,
            amount=event.payload.amount,
        )
    )


SUBSCRIPTIONS = {
    "reach.outreach.v1": {"outreach.requested": on_outreach, "outreach.held_out": on_outreach},
    "reach.deliveries.v1": {
        **{t: on_delivery for t in STATUS},
        "delivery.receipted": on_receipt,
    },
    "trading.trades.v1": {"trade.executed": on_trade},
}
