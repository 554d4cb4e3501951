"""Segments over HTTP, for client-operations staff."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from reach_runtime.auth import STAFF, Role, actor, allow
from reach_runtime.clock import Clock
from reach_runtime.errors import NotFound
from reach_runtime.http import Session, Uow, runtime_of
from sqlalchemy.ext.asyncio import AsyncSession

from reach_segmenter.adapters import memberships
from reach_segmenter.adapters.segments import SegmentStore
from reach_segmenter.api.schemas import (
    BackfillOut,
    ClientMembershipsOut,
    DayCount,
    MemberOut,
    MembershipChangeOut,
    PreviewOut,
    RuleIn,
    SegmentEdit,
    SegmentIn,
    SegmentOut,
    VersionOut,
)
from reach_segmenter.db.tables import BackfillRow, SegmentRow
from reach_segmenter.domain.segment import rule_json
from reach_segmenter.handlers import segments as commands
from reach_segmenter.handlers.backfills import describe

# Staff and BI read segments; editors and admins change them (each write route says so).
READERS = allow(*STAFF, Role.bi_reader)
Editor = actor(Role.campaign_editor, Role.ops_admin)  # a write route names its editor
router = APIRouter(prefix="/segments", tags=["segments"], dependencies=[READERS])
clients = APIRouter(prefix="/clients", tags=["segments"], dependencies=[allow(*STAFF)])
Limit = Annotated[int, Query(ge=1, le=1000)]
SegmentId = Annotated[str, Path(max_length=36, pattern=r"^[A-Za-z0-9-]+$")]
ClientId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


def _now(request: Request) -> datetime:
    clock: Clock = runtime_of(request).clock
    return clock.now()


Now = Annotated[datetime, Depends(_now)]


def _backfill_out(job: BackfillRow | None, now: datetime) -> BackfillOut | None:
    if job is None:
        return None
    progress = describe(job, now)
    return BackfillOut(
        id=job.id,
        reason=job.reason,
        segment_version=job.segment_version,
        total=job.total,
        done=job.done,
        entered=job.entered,
        exited=job.exited,
        started_at=job.started_at,
        finished_at=job.finished_at,
        **progress,
    )


async def _out(session: AsyncSession, segment: SegmentRow, now: datetime) -> SegmentOut:
    store = SegmentStore(session)
    return SegmentOut(
        id=segment.id,
        name=segment.name,
        description=segment.description,
        rule=segment.rule,
        version=segment.version,
        time_relative=segment.time_relative,
        created_at=segment.created_at,
        updated_at=segment.updated_at,
        archived_at=segment.archived_at,
        archived_by=segment.archived_by,
        member_count=await memberships.count(session, segment.id),
        backfill=_backfill_out(await store.latest_backfill(segment.id), now),
        backfill_url=f"/segments/{segment.id}/backfill",
    )


async def _found(session: AsyncSession, segment_id: str) -> SegmentRow:
    segment = await SegmentStore(session).segment(segment_id)
    if segment is None:
        raise NotFound(f"no segment {segment_id!r}", field="segment_id")
    return segment


def _accepted(response: Response, segment: SegmentRow) -> None:
    response.headers["Location"] = f"/segments/{segment.id}/backfill"


@router.post(
    "",
    response_model=SegmentOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Create a segment; its members are back-filled in the background (see backfill_url)",
)
async def post_segment(body: SegmentIn, uow: Uow, response: Response, editor: Editor) -> SegmentOut:
    segment, _job = await commands.create_segment(
        uow=uow,
        name=body.name,
        description=body.description,
        rule=rule_json(body.rule),
        actor=editor,
    )
    _accepted(response, segment)
    return await _out(uow.session, segment, uow.clock.now())


@router.post(
    "/preview",
    response_model=PreviewOut,
    summary="How many clients a rule selects now",
)
async def preview_segment(body: RuleIn, uow: Uow, _editor: Editor) -> PreviewOut:
    matching, total = await commands.preview(uow=uow, rule=rule_json(body.rule))
    return PreviewOut(matching=matching, total=total)


@router.get("", response_model=list[SegmentOut], summary="Segments, archived ones on request")
async def list_segments(session: Session, now: Now, archived: bool = False) -> list[SegmentOut]:
    store = SegmentStore(session)
    return [await _out(session, s, now) for s in await store.segments(archived=archived)]


@router.get("/{segment_id}", response_model=SegmentOut, summary="One segment")
async def get_segment(segment_id: SegmentId, session: Session, now: Now) -> SegmentOut:
    return await _out(session, await _found(session, segment_id), now)


@router.put(
    "/{segment_id}",
    response_model=SegmentOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Save a new version of the rule; only clients whose membership changes move",
)
async def edit_segment(
    segment_id: SegmentId, body: SegmentEdit, uow: Uow, response: Response, editor: Editor
) -> SegmentOut:
    segment, _job = await commands.edit_segment(
        uow=uow,
        segment_id=segment_id,
        description=body.description,
        rule=rule_json(body.rule),
        actor=editor,
    )
    _accepted(response, segment)
    return await _out(uow.session, segment, uow.clock.now())


@router.post(
    "/{segment_id}/archive",
    response_model=SegmentOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Stop evaluating the segment; current members exit (announced) in the background",
)
async def archive_segment(
    segment_id: SegmentId, uow: Uow, response: Response, editor: Editor
) -> SegmentOut:
    segment, _job = await commands.archive_segment(uow=uow, segment_id=segment_id, actor=editor)
    _accepted(response, segment)
    return await _out(uow.session, segment, uow.clock.now())


@router.get(
    "/{segment_id}/backfill", response_model=BackfillOut, summary="Progress of the latest back-fill"
)
async def get_backfill(segment_id: SegmentId, session: Session, now: Now) -> BackfillOut:
    await _found(session, segment_id)
    job = _backfill_out(await SegmentStore(session).latest_backfill(segment_id), now)
    if job is None:
        raise NotFound(f"segment {segment_id!r} has no back-fill", field="segment_id")
    return job


@router.get(
    "/{segment_id}/versions", response_model=list[VersionOut], summary="Every version, oldest first"
)
async def list_versions(segment_id: SegmentId, session: Session) -> list[VersionOut]:
    await _found(session, segment_id)
    return [
        VersionOut(
            version=v.version,
            description=v.description,
            rule=v.rule,
            created_at=v.created_at,
            created_by=v.created_by,
        )
        for v in await SegmentStore(session).versions(segment_id)
    ]


@router.get("/{segment_id}/members", response_model=list[MemberOut], summary="Members, paged")
async def list_members(
    segment_id: SegmentId,
    session: Session,
    after: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{0,64}$")] = None,
    limit: Limit = 100,
) -> list[MemberOut]:
    await _found(session, segment_id)
    rows = await memberships.page(session, segment_id, after=after, limit=limit)
    return [MemberOut(client_id=r.client_id, entered_at=r.entered_at) for r in rows]


@router.get(
    "/{segment_id}/counts",
    response_model=list[DayCount],
    summary="Entries, exits and members per UTC day, from the membership history",
)
async def segment_counts(
    segment_id: SegmentId,
    session: Session,
    now: Now,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> list[DayCount]:
    await _found(session, segment_id)
    by_day: dict[str, dict[str, int]] = {}
    for day, change, n in await memberships.changes_by_day(session, segment_id):
        by_day.setdefault(day, {"entered": 0, "exited": 0})[change] = n
    window = [(now.date() - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]
    members = sum(c["entered"] - c["exited"] for d, c in by_day.items() if d < window[0])
    result = []
    for day in window:
        moves = by_day.get(day, {"entered": 0, "exited": 0})
        members += moves["entered"] - moves["exited"]
        result.append(DayCount(day=day, members=members, **moves))
    return result


@clients.get(
    "/{client_id}/memberships",
    response_model=ClientMembershipsOut,
    summary="The segments a client is in, and every entry and exit, newest first",
)
async def client_memberships(
    client_id: ClientId, session: Session, limit: Limit = 100
) -> ClientMembershipsOut:
    names = {s.id: s.name for s in await SegmentStore(session).segments(archived=True)}
    current = (await memberships.members_of(session, [client_id]))[client_id]
    history = await memberships.client_history(session, client_id, limit=limit)
    return ClientMembershipsOut(
        client_id=client_id,
        current=sorted(names[i] for i in current),
        history=[
            MembershipChangeOut(
                segment_id=h.segment_id,
                segment_name=names.get(h.segment_id, ""),
                change=h.change,
                at=h.at,
                cause=h.cause,
                segment_version=h.segment_version,
            )
            for h in history
        ],
    )
