"""Recording what became of a send and telling the other services, in one unit of work."""

from __future__ import annotations

from reach_contracts import (
    Channel,
    DeliveryFailed,
    DeliveryFailedPayload,
    DeliveryReceipted,
    DeliveryReceiptedPayload,
    DeliverySent,
    DeliverySentPayload,
    DeliverySuppressed,
    DeliverySuppressedPayload,
    ReceiptStatus,
)
from reach_runtime.ids import derived_id
from reach_runtime.uow import UnitOfWork

from reach_notifier.db.tables import SendRow

DELIVERIES_TOPIC = "reach.deliveries.v1"


def mark_sent(uow: UnitOfWork, send: SendRow, provider_id: str) -> None:
    now = uow.clock.now()
    send.status, send.provider_message_id, send.sent_at = "sent", provider_id, now
    send.last_error, send.lease_until = None, None
    uow.emit(
        DELIVERIES_TOPIC,
        DeliverySent(
            event_id=derived_id("delivery.sent", send.idempotency_key),
            occurred_at=now,
            client_id=send.client_id,
            payload=DeliverySentPayload(
                idempotency_key=send.idempotency_key,
                campaign_id=send.campaign_id,
                channel=Channel(send.channel),
                provider_message_id=provider_id,
                attempt=max(send.attempts, 1),
            ),
        ),
    )


def mark_failed(uow: UnitOfWork, send: SendRow, reason: str) -> None:
    """A final failure, with the reason (a provider's refusal, a render error)."""
    now = uow.clock.now()
    send.status, send.last_error, send.lease_until = "failed", reason, None
    uow.emit(
        DELIVERIES_TOPIC,
        DeliveryFailed(
            event_id=derived_id("delivery.failed", send.idempotency_key),
            occurred_at=now,
            client_id=send.client_id,
            payload=DeliveryFailedPayload(
                idempotency_key=send.idempotency_key,
                campaign_id=send.campaign_id,
                channel=Channel(send.channel),
                reason=reason,
                attempt=max(send.attempts, 1),
            ),
        ),
    )


def mark_suppressed(uow: UnitOfWork, send: SendRow, reason: str) -> None:
    """Not sent on purpose: no consent, no address, a channel that refuses the purpose."""
    now = uow.clock.now()
    send.status, send.last_error, send.lease_until = "suppressed", reason, None
    uow.emit(
        DELIVERIES_TOPIC,
        DeliverySuppressed(
            event_id=derived_id("delivery.suppressed", send.idempotency_key),
            occurred_at=now,
            client_id=send.client_id,
            payload=DeliverySuppressedPayload(
                idempotency_key=send.idempotency_key,
                campaign_id=send.campaign_id,
                channel=Channel(send.channel),
                reason=reason,
            ),
        ),
    )


def emit_receipt(uow: UnitOfWork, send: SendRow, status: str, detail: str | None) -> None:
    send.receipt = status
    uow.emit(
        DELIVERIES_TOPIC,
        DeliveryReceipted(
            event_id=derived_id("delivery.receipted", send.idempotency_key, status),
            occurred_at=uow.clock.now(),
            client_id=send.client_id,
            payload=DeliveryReceiptedPayload(
                idempotency_key=send.idempotency_key,
                campaign_id=send.campaign_id,
                channel=Channel(send.channel),
                provider_message_id=send.provider_message_id or send.idempotency_key,
                status=ReceiptStatus(status),
                detail=detail,
            ),
        ),
    )
