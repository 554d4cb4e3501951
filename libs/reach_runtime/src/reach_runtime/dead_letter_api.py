"""Dead letters over HTTP, for operators: list what was parked and why, replay after a fix."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel
from sqlalchemy import func, select

from reach_runtime.auth import Role, allow
from reach_runtime.db import dead_letters
from reach_runtime.dead_letters import replay
from reach_runtime.http import Session, Uow, runtime_of

MAX_ID = 2**63 - 1  # ids are BIGINT: a larger one cannot be looked up, it is refused (422)
LetterId = Annotated[int, Path(ge=1, le=MAX_ID)]

router = APIRouter(
    prefix="/dead-letters", tags=["operations"], dependencies=[allow(Role.ops_admin)]
)


class DeadLetterOut(BaseModel):
    """The message body is not shown: it may hold contact details."""

    id: int
    consumer_group: str
    source_topic: str
    source_partition: int
    source_offset: int
    key: str | None
    value_bytes: int
    reason: str
    created_at: datetime
    replayed_at: datetime | None


@router.get("", response_model=list[DeadLetterOut], summary="Parked messages, oldest first")
async def list_dead_letters(
    session: Session,
    after_id: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    include_replayed: bool = False,
) -> list[DeadLetterOut]:
    query = (
        select(
            *[c for c in dead_letters.c if c.name != "value"],
            func.length(dead_letters.c.value).label("value_bytes"),
        )
        .where(dead_letters.c.id > after_id)
        .order_by(dead_letters.c.id)
        .limit(limit)
    )
    if not include_replayed:
        query = query.where(dead_letters.c.replayed_at.is_(None))
    rows = await session.execute(query)
    return [DeadLetterOut(**row._mapping) for row in rows]


@router.post("/{letter_id}/replay", status_code=202, summary="Send one back to its source topic")
async def replay_dead_letter(letter_id: LetterId, request: Request, uow: Uow) -> dict[str, str]:
    prefix = runtime_of(request).settings.kafka_topic_prefix
    await replay(uow, letter_id=letter_id, topic_prefix=prefix)
    return {"status": "replaying"}
