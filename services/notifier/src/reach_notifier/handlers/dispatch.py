"""Sending: claim a pending send, deliver it through its channel, record the outcome once."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta

from opentelemetry import trace
from reach_contracts import DeliveryFailed, DeliveryFailedPayload, DeliverySent, DeliverySentPayload
from reach_runtime.ids import derived_id
from reach_runtime.telemetry import context_from_headers, tracer
from reach_runtime.uow import UnitOfWork, UnitOfWorkFactory
from sqlalchemy import select, update

from reach_notifier.db.tables import ContactRow, SendRow
from reach_notifier.domain.channels import ChannelAdapter, ChannelError, Message
from reach_notifier.handlers.intake import DELIVERIES_TOPIC

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


async def release_interrupted(*, uow: UnitOfWork) -> int:
    """Sends left 'sending' by a crash go back to pending; providers de-duplicate by key."""
    result = await uow.session.execute(
        update(SendRow).where(SendRow.status == "sending").values(status="pending")
    )
    await uow.commit()
    return result.rowcount or 0


async def dispatch_due(
    *, uows: UnitOfWorkFactory, channels: Mapping[str, ChannelAdapter], limit: int = 50
) -> int:
    """Send up to `limit` due sends; returns how many were attempted."""
    async with uows() as uow:
        now = uow.clock.now()
        keys = list(
            await uow.session.scalars(
                select(SendRow.idempotency_key)
                .where(SendRow.status == "pending", SendRow.next_attempt_at <= now)
                .order_by(SendRow.next_attempt_at)
                .limit(limit)
            )
        )
    for key in keys:
        await _send_one(uows=uows, channels=channels, key=key)
    return len(keys)


async def _send_one(
    *, uows: UnitOfWorkFactory, channels: Mapping[str, ChannelAdapter], key: str
) -> None:
    async with uows() as uow:  # claim: only one dispatcher moves a send to 'sending'
        claimed = await uow.session.execute(
            update(SendRow)
            .where(SendRow.idempotency_key == key, SendRow.status == "pending")
            .values(status="sending", attempts=SendRow.attempts + 1)
        )
        await uow.commit()
        if claimed.rowcount != 1:
            return
    async with uows() as uow:
        send = await uow.session.get(SendRow, key)
        assert send is not None
        contact = await uow.session.get(ContactRow, send.client_id)
        with tracer().start_as_current_span(
            f"send {send.channel}",
            context=context_from_headers([(k, v.encode()) for k, v in send.trace]),
            kind=trace.SpanKind.PRODUCER,
        ):
            try:
                channel = channels.get(send.channel)
                if channel is None:
                    raise ChannelError(f"no adapter for channel {send.channel}", retryable=False)
                address = getattr(contact, channel.contact_field, None) if contact else None
                if not address:
                    raise ChannelError(f"no {channel.contact_field} on file", retryable=False)
                provider_id = await channel.send(
                    Message(key, send.client_id, address, send.subject, send.body)
                )
            except ChannelError as error:
                _failed(uow, send, error)
            else:
                _sent(uow, send, provider_id)
            await uow.commit()


def _sent(uow: UnitOfWork, send: SendRow, provider_id: str) -> None:
    now = uow.clock.now()
    send.status, send.provider_message_id, send.sent_at, send.last_error = (
        "sent",
        provider_id,
        now,
        None,
    )
    uow.emit(
        DELIVERIES_TOPIC,
        DeliverySent(
            event_id=derived_id("delivery.sent", send.idempotency_key),
            occurred_at=now,
            client_id=send.client_id,
            payload=DeliverySentPayload(
                idempotency_key=send.idempotency_key,
                campaign_id=send.campaign_id,
                channel=send.channel,
                provider_message_id=provider_id,
                attempt=send.attempts,
            ),
        ),
    )


def _failed(uow: UnitOfWork, send: SendRow, error: ChannelError) -> None:
    now = uow.clock.now()
    send.last_error = error.reason
    if error.retryable and send.attempts < MAX_ATTEMPTS:
        send.status = "pending"
        send.next_attempt_at = now + timedelta(seconds=2**send.attempts)
        log.warning(
            "send failed, will retry",
            extra={"fields": {"key": send.idempotency_key, "attempt": send.attempts}},
        )
        return
    send.status = "failed"
    uow.emit(
        DELIVERIES_TOPIC,
        DeliveryFailed(
            event_id=derived_id("delivery.failed", send.idempotency_key),
            occurred_at=now,
            client_id=send.client_id,
            payload=DeliveryFailedPayload(
                idempotency_key=send.idempotency_key,
                campaign_id=send.campaign_id,
                channel=send.channel,
                reason=error.reason,
                attempt=send.attempts,
            ),
        ),
    )
