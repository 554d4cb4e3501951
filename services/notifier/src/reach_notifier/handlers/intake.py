"""Contacts, consents and outreach requests as they arrive from Kafka."""

from __future__ import annotations

from reach_contracts import (
    AccountConsentChanged,
    AccountContactChanged,
    DeliverySuppressed,
    DeliverySuppressedPayload,
    OutreachRequested,
)
from reach_runtime.ids import derived_id
from reach_runtime.telemetry import current_trace_headers
from reach_runtime.uow import UnitOfWork

from reach_notifier.db.tables import ConsentRow, ContactRow, SendRow
from reach_notifier.domain.rendering import render

DELIVERIES_TOPIC = "reach.deliveries.v1"


async def on_contact_changed(event: AccountContactChanged, uow: UnitOfWork) -> None:
    """Fields given replace the old ones; fields left out are kept."""
    row = await uow.session.get(ContactRow, event.client_id)
    if row is None:
        row = ContactRow(client_id=event.client_id, updated_at=event.occurred_at)
        uow.session.add(row)
    for name in ("email", "phone", "wechat_openid"):
        value = getattr(event.payload, name)
        if value is not None:
            setattr(row, name, value)
    row.updated_at = event.occurred_at


async def on_consent_changed(event: AccountConsentChanged, uow: UnitOfWork) -> None:
    """The latest decision by occurred_at wins; an older one arriving late is ignored."""
    p = event.payload
    row = await uow.session.get(ConsentRow, (event.client_id, str(p.channel), str(p.purpose)))
    if row is None:
        uow.session.add(
            ConsentRow(
                client_id=event.client_id,
                channel=str(p.channel),
                purpose=str(p.purpose),
                granted=p.granted,
                source=p.source,
                changed_at=event.occurred_at,
            )
        )
    elif event.occurred_at >= row.changed_at:
        row.granted, row.source, row.changed_at = p.granted, p.source, event.occurred_at


async def on_outreach_requested(event: OutreachRequested, uow: UnitOfWork) -> None:
    """Accept each idempotency key once: queue it for sending, or suppress it with the reason."""
    p = event.payload
    if await uow.session.get(SendRow, p.idempotency_key) is not None:
        return
    now = uow.clock.now()
    reason = await _refusal(uow, event)
    try:
        body = render(p.body, p.variables)
        subject = render(p.subject, p.variables) if p.subject else None
    except ValueError as error:
        reason, body, subject = reason or f"template: {error}", p.body, p.subject
    uow.session.add(
        SendRow(
            idempotency_key=p.idempotency_key,
            client_id=event.client_id,
            campaign_id=p.campaign_id,
            channel=str(p.channel),
            purpose=str(p.purpose),
            subject=subject,
            body=body,
            status="suppressed" if reason else "pending",
            attempts=0,
            last_error=reason,
            trace=[list(h) for h in current_trace_headers()],
            created_at=now,
            next_attempt_at=now,
        )
    )
    if reason:
        uow.emit(
            DELIVERIES_TOPIC,
            DeliverySuppressed(
                event_id=derived_id("delivery.suppressed", p.idempotency_key),
                occurred_at=now,
                client_id=event.client_id,
                payload=DeliverySuppressedPayload(
                    idempotency_key=p.idempotency_key,
                    campaign_id=p.campaign_id,
                    channel=p.channel,
                    reason=reason,
                ),
            ),
        )


async def _refusal(uow: UnitOfWork, event: OutreachRequested) -> str | None:
    """Why this outreach must not go out, or None. Consent is assumed at account opening
    unless withdrawn; a channel needs an address."""
    p = event.payload
    consent = await uow.session.get(ConsentRow, (event.client_id, str(p.channel), str(p.purpose)))
    if consent is not None and not consent.granted:
        return f"consent withdrawn for {p.channel} {p.purpose} ({consent.source})"
    contact = await uow.session.get(ContactRow, event.client_id)
    field = {"email": "email", "sms": "phone", "wechat": "wechat_openid"}.get(str(p.channel))
    if field and (contact is None or getattr(contact, field) is None):
        return f"no {field} on file"
    return None


SUBSCRIPTIONS = {
    "accounts.events.v1": {
        "account.contact_changed": on_contact_changed,
        "account.consent_changed": on_consent_changed,
    },
    "reach.outreach.v1": {"outreach.requested": on_outreach_requested},
}
