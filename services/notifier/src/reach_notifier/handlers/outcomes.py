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


def _emit(uow: UnitOfWork, send: SendRow, event_type: type, payload_type: type, **fields) -> None:
    """Publish one outcome of `send`; its event id is derived from the key (and `fields`' status)."""
    event_name = event_type.model_fields["event_type"].default
    suffix = (fields["status"],) if "status" in fields else ()
    uow.emit(
        DELIVERIES_TOPIC,
        event_type(
            event_id=derived_id(event_name, send.idempotency_key, *suffix),
            occurred_at=uow.clock.now(),
            client_id=send.client_id,
            payload=payload_type(
                idempotency_key=send.idempotency_key,
                campaign_id=send.campaign_id,
                channel=Channel(send.channel),
                **fields,
            ),
        ),
    )


def mark_sent(uow: UnitOfWork, send: SendRow, provider_id: str) -> None:
    send.status, send.provider_message_id, send.sent_at = "sent", provider_id, uow.clock.now()
    send.last_error, send.lease_until = None, None
    _emit(
        uow,
        send,
        DeliverySent,
        DeliverySentPayload,
        provider_message_id=provider_id,
        attempt=max(send.attempts, 1),
    )


def mark_failed(uow: UnitOfWork, send: SendRow, reason: str) -> None:
    """A final failure, with the reason (a provider's refusal, a render error)."""
    send.status, send.last_error, send.lease_until = "failed", reason, None
    _emit(
        uow,
        send,
        DeliveryFailed,
        DeliveryFailedPayload,
        reason=reason,
        attempt=max(send.attempts, 1),
    )


def mark_suppressed(uow: UnitOfWork, send: SendRow, reason: str) -> None:
    """Not sent on purpose: no consent, no address, a channel that refuses the purpose."""
    send.status, send.last_error, send.lease_until = "suppressed", reason, None
    _emit(uow, send, DeliverySuppressed, DeliverySuppressedPayload, reason=reason)


def emit_receipt(uow: UnitOfWork, send: SendRow, status: str, detail: str | None) -> None:
    send.receipt = status
    _emit(
        uow,
        send,
        DeliveryReceipted,
        DeliveryReceiptedPayload,
        provider_message_id=send.provider_message_id or send.idempotency_key,
        status=ReceiptStatus(status),
        detail=detail,
    )
