"""Membership moves: applied to the tables, written to the history, announced once each.

Whatever moves a client — a portrait, the clock, a back-fill, an archive — ends here, and the
event id is derived from the segment, the client and the cause, so a re-run after a crash
announces nothing new for work that had committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reach_contracts import SegmentEntered, SegmentExited, SegmentMembershipChange
from reach_runtime.ids import derived_ids
from reach_runtime.uow import UnitOfWork
from sqlalchemy import false

from reach_segmenter.adapters import memberships
from reach_segmenter.adapters.rule_sql import rule_clause
from reach_segmenter.adapters.segments import SegmentStore
from reach_segmenter.domain.catalog import Catalog, SegmentDef

MEMBERSHIPS_TOPIC = "reach.segment-memberships.v1"


def emit(
    uow: UnitOfWork,
    segment: SegmentDef,
    client_ids: Sequence[str],
    *,
    entered: bool,
    cause: str,
    at: datetime,
    portrait_version: int | None = None,
) -> None:
    """One event per moved client, with an id derived from segment, client and cause."""
    kind = "segment.entered" if entered else "segment.exited"
    event_type = SegmentEntered if entered else SegmentExited
    payload = SegmentMembershipChange(
        segment_id=segment.id, segment_name=segment.name, portrait_version=portrait_version
    )
    event_id = derived_ids(
        kind, segment.id, None, cause
    )  # = derived_id(kind, segment.id, c, cause)
    uow.emit_all(
        MEMBERSHIPS_TOPIC,
        (
            event_type(
                event_id=event_id(client_id), occurred_at=at, client_id=client_id, payload=payload
            )
            for client_id in client_ids
        ),
    )


async def apply_moves(
    uow: UnitOfWork,
    store: SegmentStore,
    client_id: str,
    moves: list[tuple[SegmentDef, bool]],
    *,
    cause: str,
    portrait_version: int,
) -> None:
    """One client's moves, as decided by the Python predicate, in at most three statements."""
    now = uow.clock.now()
    with uow.session.no_autoflush:  # the batch's portraits are written once, at commit
        entered = await memberships.enter(
            uow.session, client_id, [s.id for s, inside in moves if inside], now
        )
        exited = await memberships.leave(
            uow.session, client_id, [s.id for s, inside in moves if not inside]
        )
    history = []
    for segment, inside in moves:
        store.moved(client_id, segment.id, entered=inside)
        if segment.id not in (entered if inside else exited):
            continue  # another writer made this move first and announced it
        emit(
            uow,
            segment,
            [client_id],
            entered=inside,
            cause=cause,
            at=now,
            portrait_version=portrait_version,
        )
        history.append(
            {
                "segment_id": segment.id,
                "client_id": client_id,
                "change": "entered" if inside else "exited",
                "at": now,
                "cause": cause[:200],
                "segment_version": segment.version,
            }
        )
    with uow.session.no_autoflush:
        await memberships.append(uow.session, history)


async def reconcile(
    uow: UnitOfWork,
    catalog: Catalog,
    segment: SegmentDef,
    scope: memberships.Scope,
    *,
    cause: str,
    archived: bool = False,
) -> tuple[int, int]:
    """Bring the memberships of `segment` in `scope` in line with its rule, by SQL, then the
    segments that refer to it for the clients that moved; returns (entered, exited)."""
    moved = await _reconcile_one(uow, catalog, segment, scope, cause=cause, archived=archived)
    entered, exited = len(moved[0]), len(moved[1])
    touched = set(moved[0]) | set(moved[1])
    if touched and not archived:
        for dependent in catalog.downstream(segment):
            scope = memberships.among(uow.session, sorted(touched))
            inside, outside = await _reconcile_one(uow, catalog, dependent, scope, cause=cause)
            touched |= set(inside) | set(outside)
    return entered, exited


async def _reconcile_one(
    uow: UnitOfWork,
    catalog: Catalog,
    segment: SegmentDef,
    scope: memberships.Scope,
    *,
    cause: str,
    archived: bool = False,
) -> tuple[list[str], list[str]]:
    now = uow.clock.now()
    session = uow.session
    if archived:
        rule = false()  # nobody belongs to an archived segment
    else:
        rule = rule_clause(
            segment.rule,
            dialect=session.bind.dialect.name,
            now=now,
            segment_ids=catalog.ids_by_name(),
        )
    entered = (
        [] if archived else await memberships.enter_matching(session, segment.id, rule, scope, now)
    )
    exited = await memberships.leave_unmatching(session, segment.id, rule, scope)
    for moved, inside in ((entered, True), (exited, False)):
        emit(uow, segment, moved, entered=inside, cause=cause, at=now)
        await memberships.record(
            session,
            segment_id=segment.id,
            segment_version=segment.version,
            client_ids=moved,
            change="entered" if inside else "exited",
            at=now,
            cause=cause,
        )
    return entered, exited
