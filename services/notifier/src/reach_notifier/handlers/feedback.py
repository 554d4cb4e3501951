"""What comes back after a send: provider receipts, SMS replies, advisors' call outcomes."""

from __future__ import annotations

from reach_contracts import ConsentChannel, DeliveryOptedOut, DeliveryOptedOutPayload, Purpose
from reach_runtime.errors import Conflict, DomainError, NotFound
from reach_runtime.ids import derived_id
from reach_runtime.uow import UnitOfWork
from sqlalchemy import select

from reach_notifier.db.tables import CallTaskRow, ContactRow, ReceiptRow, SendRow
from reach_notifier.handlers.intake import OPT_OUT_WORDS, record_consent
from reach_notifier.handlers.outcomes import DELIVERIES_TOPIC, emit_receipt


class Forbidden(DomainError):
    status_code = 403


async def record_receipt(
    uow: UnitOfWork,
    *,
    channel: str,
    provider_message_id: str,
    status: str,
    detail: str | None = None,
) -> bool:
    """Record a verified receipt once and emit it; False when it was already recorded."""
    send = await uow.session.scalar(
        select(SendRow).where(
            SendRow.channel == channel, SendRow.provider_message_id == provider_message_id
        )
    )
    if send is None:
        raise NotFound(f"no {channel} send {provider_message_id!r}", field="message_id")
    if await uow.session.get(ReceiptRow, (channel, provider_message_id, status)) is not None:
        return False
    uow.session.add(
        ReceiptRow(
            channel=channel,
            provider_message_id=provider_message_id,
            status=status,
            idempotency_key=send.idempotency_key,
            detail=detail,
            received_at=uow.clock.now(),
        )
    )
    emit_receipt(uow, send, status, detail)
    return True


async def record_sms_reply(
    uow: UnitOfWork, *, phone: str, text: str, reply_id: str, in_reply_to: str | None
) -> bool:
    """An opt-out word withdraws the client's SMS marketing consent at once and is published;
    returns whether the reply was an opt-out."""
    if text.strip().upper() not in OPT_OUT_WORDS:
        return False
    contact = await uow.session.scalar(select(ContactRow).where(ContactRow.phone == phone))
    if contact is None:
        raise NotFound("no client has this phone number", field="phone")
    now = uow.clock.now()
    await record_consent(
        uow,
        client_id=contact.client_id,
        channel="sms",
        purpose="marketing",
        granted=False,
        source="sms_reply",
        at=now,
    )
    uow.emit(
        DELIVERIES_TOPIC,
        DeliveryOptedOut(
            event_id=derived_id("delivery.opted_out", "sms", reply_id),
            occurred_at=now,
            client_id=contact.client_id,
            payload=DeliveryOptedOutPayload(
                channel=ConsentChannel.SMS,
                purpose=Purpose.MARKETING,
                source="sms_reply",
                in_reply_to=in_reply_to,
            ),
        ),
    )
    return True


async def _task(uow: UnitOfWork, key: str, actor: str) -> CallTaskRow:
    task = await uow.session.get(CallTaskRow, key)
    if task is None:
        raise NotFound(f"no call task {key!r}", field="task_id")
    if task.advisor_id != actor:
        raise Forbidden("this task belongs to another advisor", field="X-Reach-Actor")
    return task


async def claim_task(uow: UnitOfWork, *, key: str, actor: str) -> CallTaskRow:
    """The advisor takes the task; claiming one's own claimed task again changes nothing."""
    task = await _task(uow, key, actor)
    if task.status == "done":
        raise Conflict("the task is done", field="task_id")
    if task.status == "open":
        task.status, task.claimed_by, task.claimed_at = "claimed", actor, uow.clock.now()
    return task


async def record_outcome(
    uow: UnitOfWork, *, key: str, actor: str, outcome: str, note: str | None
) -> CallTaskRow:
    """The call's outcome ends the task and counts as the delivery's receipt."""
    task = await _task(uow, key, actor)
    if task.status != "claimed":
        raise Conflict(f"the task is {task.status}; claim it first", field="task_id")
    task.status, task.outcome, task.note = "done", outcome, note
    task.completed_at = uow.clock.now()
    send = await uow.session.get(SendRow, key)
    assert send is not None
    uow.session.add(
        ReceiptRow(
            channel="advisor_task",
            provider_message_id=key,
            status=outcome,
            idempotency_key=key,
            detail=note,
            received_at=task.completed_at,
        )
    )
    emit_receipt(uow, send, outcome, note)
    return task
