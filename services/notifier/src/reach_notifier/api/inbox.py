"""The in-app inbox: a client's messages, newest first, and marking one read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from reach_runtime.auth import Role, allow
from reach_runtime.errors import NotFound
from reach_runtime.http import Session, Uow
from sqlalchemy import select

from reach_notifier.api.params import ClientQuery, SendKey
from reach_notifier.db.tables import InboxMessageRow

# The app backend reads a client's inbox for them (an upstream system with an API key).
router = APIRouter(
    prefix="/inbox", tags=["inbox"], dependencies=[allow(Role.upstream, Role.ops_admin)]
)


class InboxMessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    idempotency_key: str
    client_id: str
    subject: str | None
    body: str
    created_at: datetime
    read_at: datetime | None


@router.get("", response_model=list[InboxMessageOut], summary="A client's inbox, newest first")
async def list_inbox(
    session: Session,
    client_id: ClientQuery,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[InboxMessageRow]:
    query = (
        select(InboxMessageRow)
        .where(InboxMessageRow.client_id == client_id)
        .order_by(InboxMessageRow.created_at.desc())
        .limit(limit)
    )
    if unread:
        query = query.where(InboxMessageRow.read_at.is_(None))
    return list(await session.scalars(query))


@router.post("/{message_id}/read", response_model=InboxMessageOut, summary="Mark a message read")
async def mark_read(message_id: SendKey, uow: Uow) -> InboxMessageRow:
    message = await uow.session.get(InboxMessageRow, message_id)
    if message is None:
        raise NotFound(f"no inbox message {message_id!r}", field="message_id")
    if message.read_at is None:
        message.read_at = uow.clock.now()
        await uow.commit()
    return message
