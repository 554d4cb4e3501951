"""Advisors' call tasks: my open tasks, claim one, record how the call went.

The advisor is the caller: their token's advisor id (X-Reach-Actor with AUTH_MODE=off)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from reach_runtime.errors import Conflict
from reach_runtime.http import Session, Uow
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from reach_notifier.api.params import CLIENT, NO_NUL, Actor, SendKey
from reach_notifier.db.tables import CallTaskRow
from reach_notifier.handlers.feedback import Forbidden, claim_task, record_outcome

router = APIRouter(prefix="/tasks", tags=["call tasks"])


class Outcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    DECLINED = "declined"
    CALLBACK = "callback"


class OutcomeIn(BaseModel):
    outcome: Outcome
    note: str | None = Field(default=None, max_length=500, pattern=NO_NUL)


class CallTaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    idempotency_key: str
    client_id: str
    advisor_id: str
    campaign_id: str
    subject: str | None
    script: str
    status: str
    claimed_by: str | None
    outcome: str | None
    note: str | None
    created_at: datetime
    claimed_at: datetime | None
    completed_at: datetime | None


@router.get("", response_model=list[CallTaskOut], summary="My call tasks, oldest first")
async def list_tasks(
    session: Session,
    actor: Actor,
    advisor_id: Annotated[str | None, Query(pattern=CLIENT)] = None,
    status: Annotated[str | None, Query(pattern="^(open|claimed|done)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[CallTaskRow]:
    if advisor_id is not None and advisor_id != actor:
        raise Forbidden("an advisor sees only their own tasks", field="advisor_id")
    query = (
        select(CallTaskRow)
        .where(CallTaskRow.advisor_id == actor)
        .order_by(CallTaskRow.created_at)
        .limit(limit)
    )
    if status:
        query = query.where(CallTaskRow.status == status)
    return list(await session.scalars(query))


@router.post("/{task_id}/claim", response_model=CallTaskOut, summary="Take a task")
async def claim(task_id: SendKey, actor: Actor, uow: Uow) -> CallTaskRow:
    task = await claim_task(uow, key=task_id, actor=actor)
    await uow.commit()
    return task


@router.post("/{task_id}/outcome", response_model=CallTaskOut, summary="Record the call's outcome")
async def outcome(task_id: SendKey, body: OutcomeIn, actor: Actor, uow: Uow) -> CallTaskRow:
    task = await record_outcome(
        uow, key=task_id, actor=actor, outcome=str(body.outcome), note=body.note
    )
    try:
        await uow.commit()
    except IntegrityError:  # two submissions at once: the other one was recorded
        raise Conflict("the outcome was already recorded", field="task_id") from None
    return task
