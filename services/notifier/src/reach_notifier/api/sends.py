"""Sends over HTTP: what was sent, suppressed or failed, and why (contact details masked)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from reach_runtime.auth import STAFF, Role, allow
from reach_runtime.errors import Conflict, NotFound
from reach_runtime.http import Session, Uow
from sqlalchemy import select

from reach_notifier.api.params import CLIENT, SendKey
from reach_notifier.db.tables import SendRow

router = APIRouter(prefix="/sends", tags=["sends"], dependencies=[allow(*STAFF)])


class SendOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    idempotency_key: str
    client_id: str
    campaign_id: str
    channel: str
    purpose: str
    status: str
    attempts: int
    subject: str | None
    body: str
    last_error: str | None
    provider_message_id: str | None
    receipt: str | None
    skipped_channels: str | None
    parts: int
    script_version: str | None
    created_at: datetime
    sent_at: datetime | None


@router.get("", response_model=list[SendOut], summary="Sends, newest first")
async def list_sends(
    session: Session,
    client_id: Annotated[str | None, Query(pattern=CLIENT)] = None,
    status: Annotated[
        str | None, Query(pattern="^(pending|sending|sent|failed|suppressed|unknown)$")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[SendRow]:
    query = select(SendRow).order_by(SendRow.created_at.desc()).limit(limit)
    if client_id:
        query = query.where(SendRow.client_id == client_id)
    if status:
        query = query.where(SendRow.status == status)
    return list(await session.scalars(query))


@router.get("/{idempotency_key}", response_model=SendOut, summary="One send")
async def get_send(idempotency_key: SendKey, session: Session) -> SendRow:
    send = await session.get(SendRow, idempotency_key)
    if send is None:
        raise NotFound(f"no send {idempotency_key!r}", field="idempotency_key")
    return send


@router.post(
    "/{idempotency_key}/retry",
    dependencies=[allow(Role.ops_admin)],
    response_model=SendOut,
    summary="Send an 'unknown' send again, once a person checked the provider does not have it",
)
async def retry_unknown(idempotency_key: SendKey, uow: Uow) -> SendRow:
    send = await uow.session.get(SendRow, idempotency_key)
    if send is None:
        raise NotFound(f"no send {idempotency_key!r}", field="idempotency_key")
    if send.status != "unknown":
        raise Conflict(f"the send is {send.status}, not unknown", field="idempotency_key")
    send.status, send.next_attempt_at = "pending", uow.clock.now()
    await uow.commit()
    return send
