"""Segments over HTTP, for client-operations staff."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field, field_validator
from reach_runtime.errors import NotFound
from reach_runtime.http import Session, Uow

from reach_segmenter.adapters.segments import SegmentStore
from reach_segmenter.db.tables import SegmentRow
from reach_segmenter.domain.segment import parse_rule
from reach_segmenter.handlers.segments import create_segment

router = APIRouter(prefix="/segments", tags=["segments"])


class SegmentIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    rule: dict[str, Any] = Field(
        description="all / any / not over conditions {field, op, value}",
        examples=[{"all": [{"field": "last_trade_at", "op": "within", "value": "1d"}]}],
    )

    @field_validator("rule")
    @classmethod
    def _valid_rule(cls, rule: dict[str, Any]) -> dict[str, Any]:
        parse_rule(rule)
        return rule


class SegmentOut(BaseModel):
    id: str
    name: str
    description: str
    rule: dict[str, Any]
    time_relative: bool
    created_at: datetime
    member_count: int


class MemberOut(BaseModel):
    client_id: str
    entered_at: datetime


async def _out(store: SegmentStore, segment: SegmentRow) -> SegmentOut:
    return SegmentOut(
        id=segment.id,
        name=segment.name,
        description=segment.description,
        rule=segment.rule,
        time_relative=segment.time_relative,
        created_at=segment.created_at,
        member_count=await store.member_count(segment.id),
    )


@router.post(
    "",
    response_model=SegmentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a segment; current portraits are back-filled at once",
)
async def post_segment(body: SegmentIn, uow: Uow) -> SegmentOut:
    segment = await create_segment(
        uow=uow, name=body.name, description=body.description, rule=body.rule
    )
    return await _out(SegmentStore(uow.session), segment)


@router.get("", response_model=list[SegmentOut], summary="All segments")
async def list_segments(session: Session) -> list[SegmentOut]:
    store = SegmentStore(session)
    return [await _out(store, s) for s in await store.segments()]


@router.get("/{segment_id}", response_model=SegmentOut, summary="One segment")
async def get_segment(segment_id: str, session: Session) -> SegmentOut:
    store = SegmentStore(session)
    segment = await store.segment(segment_id)
    if segment is None:
        raise NotFound(f"no segment {segment_id!r}", field="segment_id")
    return await _out(store, segment)


@router.get("/{segment_id}/members", response_model=list[MemberOut], summary="Members, paged")
async def list_members(
    segment_id: str,
    session: Session,
    after: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[MemberOut]:
    store = SegmentStore(session)
    if await store.segment(segment_id) is None:
        raise NotFound(f"no segment {segment_id!r}", field="segment_id")
    rows = await store.members(segment_id, after=after, limit=limit)
    return [MemberOut(client_id=r.client_id, entered_at=r.entered_at) for r in rows]
