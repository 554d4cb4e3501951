"""Membership moves: applied to the tables, written to the history, announced once each.

Whatever moves a client — a portrait, the clock, a back-fill, an archive — ends here, and the
event id is derived from the segment, the client and the cause, so a re-run after a crash
announces nothing new for work that had committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reach_contracts import SegmentEntered, SegmentExited, SegmentMembershipChange
from reach_runtime.ids import derived_id
from reach_runtime.uow import UnitOfWork
from sqlalchemy import false

from reach_segmenter.adapters import memberships
from reach_segmenter.adapters.rule_sql import rule_clause
from reach_segmenter.adapters.segments import SegmentStore
from reach_segmenter.domain.catalog import Catalog, SegmentDef

MEMBERSHIPS_TOPIC = "reach.segment-memberships.v1"


async def announce(
    uow: UnitOfWork,
    segment: SegmentDef,
    client_ids: Sequence[str],
    *,
    entered: bool,
    cause: str,
    at: datetime,
    portrait_version: int | None = None,
) -> None:
    """Record the moves in the history and emit one event per moved client."""
    kind = "segment.entered" if entered else "segment.exited"
    event_type = SegmentEntered if entered else SegmentExited
    payload = SegmentMembershipChange(
        segment_id=segment.id, segment_name=segment.name, portrait_version=portrait_version
    )
    for client_id in client_ids:
        uow.emit(
            MEMBERSHIPS_TOPIC,
            event_type(
                event_id=derived_id(kind, segment.id, client_id, cause),
                occurred_at=at,
                client_id=client_id,
                payload=payload,
            ),
        )
    await memberships.record(
        uow.session,
        segment_id=segment.id,
        segment_version=segment.version,
        client_ids=client_ids,
        change="entered" if entered else "exited",
        at=at,
        cause=cause,
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
    """One client's moves, as decided by the Python predicate."""
    now = uow.clock.now()
    for segment, entered in moves:
        if entered:
            done = await memberships.enter(uow.session, segment.id, [client_id], now)
        else:
            done = await memberships.leave(uow.session, segment.id, [client_id])
        store.moved(client_id, segment.id, entered=entered)
        await announce(
            uow,
            segment,
            done,
            entered=entered,
            cause=cause,
            at=now,
            portrait_version=portrait_version,
        )


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
            clients = sorted(touched)
            inside, outside = await _reconcile_one(
                uow, catalog, dependent, lambda column, ids=clients: column.in_(ids), cause=cause
            )
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
    await announce(uow, segment, entered, entered=True, cause=cause, at=now)
    await announce(uow, segment, exited, entered=False, cause=cause, at=now)
    return entered, exited
