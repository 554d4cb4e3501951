"""The audit log over HTTP: who changed what, when, before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict
from reach_runtime.auth import Role, allow
from reach_runtime.http import Session
from sqlalchemy import select

from reach_campaign.db.tables import AuditRow

router = APIRouter(
    prefix="/audit", tags=["audit"], dependencies=[allow(Role.compliance, Role.ops_admin)]
)


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    entity_type: str
    entity_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@router.get(
    "",
    response_model=list[AuditOut],
    summary="Entries oldest first; page on with after_id = the last id seen",
)
async def audit(
    session: Session,
    entity_type: Annotated[str | None, Query(max_length=32)] = None,
    entity_id: Annotated[str | None, Query(max_length=128)] = None,
    actor: Annotated[str | None, Query(max_length=128)] = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    after_id: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditRow]:
    query = select(AuditRow).where(AuditRow.id > after_id).order_by(AuditRow.id).limit(limit)
    if entity_type is not None:
        query = query.where(AuditRow.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(AuditRow.entity_id == entity_id)
    if actor is not None:
        query = query.where(AuditRow.actor == actor)
    if since is not None:
        query = query.where(AuditRow.at >= since)
    if until is not None:
        query = query.where(AuditRow.at < until)
    return list(await session.scalars(query))
