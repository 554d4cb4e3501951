"""Contacts, consents and outreach requests as they arrive from Kafka."""

from __future__ import annotations

from functools import partial

from reach_contracts import (
    AccountConsentChanged,
    AccountContactChanged,
    AccountOpened,
    MessageReplied,
    OutreachRequested,
)
from reach_runtime.telemetry import current_trace_headers
from reach_runtime.uow import UnitOfWork

from reach_notifier.db.tables import ConsentRow, ContactRow, SendRow
from reach_notifier.domain.policy import Script
from reach_notifier.domain.rendering import SmsStyle
from reach_notifier.handlers.known import Known
from reach_notifier.handlers.routing import route


async def _contact(uow: UnitOfWork, client_id: str, occurred_at) -> ContactRow:
    known = Known.of(uow)
    row = await known.contact(client_id)
    if row is None:
        row = ContactRow(client_id=client_id, updated_at=occurred_at)
        known.add_contact(row)
    return row


async def on_account_opened(event: AccountOpened, uow: UnitOfWork) -> None:
    """The client's advisor receives the client's call tasks."""
    row = await _contact(uow, event.client_id, event.occurred_at)
    row.advisor_id = event.payload.advisor_id


async def on_contact_changed(event: AccountContactChanged, uow: UnitOfWork) -> None:
    """Fields given replace the old ones; fields left out are kept."""
    row = await _contact(uow, event.client_id, event.occurred_at)
    for name in ("email", "phone", "wechat_openid"):
        value = getattr(event.payload, name)
        if value is not None:
            setattr(row, name, value)
    row.updated_at = event.occurred_at


async def record_consent(
    uow: UnitOfWork, *, client_id: str, channel: str, purpose: str, granted: bool, source: str, at
) -> bool:
    """The latest decision by time wins; returns False when an older one arrived late."""
    consents = await Known.of(uow).consents(client_id)
    row = consents.get((channel, purpose))
    if row is None:
        row = consents[(channel, purpose)] = ConsentRow(
            client_id=client_id,
            channel=channel,
            purpose=purpose,
            granted=granted,
            source=source,
            changed_at=at,
        )
        uow.session.add(row)
        return True
    if at < row.changed_at:
        return False
    row.granted, row.source, row.changed_at = granted, source, at
    return True


async def on_consent_changed(event: AccountConsentChanged, uow: UnitOfWork) -> None:
    p = event.payload
    await record_consent(
        uow,
        client_id=event.client_id,
        channel=str(p.channel),
        purpose=str(p.purpose),
        granted=p.granted,
        source=p.source,
        at=event.occurred_at,
    )


OPT_OUT_WORDS = frozenset({"T", "TD", "退订"})


async def on_message_replied(event: MessageReplied, uow: UnitOfWork) -> None:
    """An SMS reply T reported upstream withdraws SMS marketing consent, like one the
    gateway forwards (not re-published: the reply is public already)."""
    p = event.payload
    if str(p.channel) == "sms" and p.text.strip().upper() in OPT_OUT_WORDS:
        await record_consent(
            uow,
            client_id=event.client_id,
            channel="sms",
            purpose="marketing",
            granted=False,
            source="sms_reply",
            at=event.occurred_at,
        )


async def on_outreach_requested(
    event: OutreachRequested, uow: UnitOfWork, *, sms: SmsStyle
) -> None:
    """Accept each idempotency key once: queue it on the first possible channel in the
    campaign's order, or record why not (suppressed, or failed to render)."""
    p = event.payload
    if await Known.of(uow).send_exists(p.idempotency_key):
        return
    now = uow.clock.now()
    send = SendRow(
        idempotency_key=p.idempotency_key,
        client_id=event.client_id,
        campaign_id=p.campaign_id,
        channel=str(p.channel),
        purpose=str(p.purpose),
        subject=p.subject[:200]
        if p.subject
        else None,  # the script's; the rendered one replaces it
        body=p.body,
        status="pending",
        attempts=0,
        parts=1,
        fallbacks=[],
        variables=dict(p.variables),
        trace=[list(h) for h in current_trace_headers()],
        created_at=now,
        next_attempt_at=now,
    )
    Known.of(uow).add_send(send)
    scripts = [
        Script(str(p.channel), p.subject, p.body, p.script_version),
        *(Script(str(f.channel), f.subject, f.body, f.script_version) for f in p.fallbacks),
    ]
    await route(uow, send, scripts, sms=sms)


def subscriptions(*, sms: SmsStyle):
    """What the notifier consumes, and the handler of each event type."""
    return {
        "accounts.events.v1": {
            "account.opened": on_account_opened,
            "account.contact_changed": on_contact_changed,
            "account.consent_changed": on_consent_changed,
        },
        "engagement.events.v1": {"message.replied": on_message_replied},
        "reach.outreach.v1": {"outreach.requested": partial(on_outreach_requested, sms=sms)},
    }
