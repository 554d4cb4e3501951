"""Membership moves: applied to the tables, written to the history, announced once each.

Whatever moves a client — a portrait, the clock, a back-fill, an archive — ends here, and the
event id is derived from the segment, the client and the cause, so a re-run after a crash
announces nothing new for work that had committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from reach_contracts import SegmentEntered, SegmentExited, SegmentMembershipChange, encode_each
from reach_runtime.ids import derived_ids
from reach_runtime.telemetry import current_trace_headers
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
    trace_headers: list[tuple[str, str]] | None = None,
) -> None:
    """One event per moved client, with an id derived from segment, client and cause, in the
    current trace or in `trace_headers`."""
    kind = "segment.entered" if entered else "segment.exited"
    event_type = SegmentEntered if entered else SegmentExited
    payload = SegmentMembershipChange(
        segment_id=segment.id, segment_name=segment.name, portrait_version=portrait_version
    )
    event_id = derived_ids(
        kind, segment.id, None, cause
    )  # = derived_id(kind, segment.id, c, cause)
    if not client_ids:
        return
    template = event_type(
        event_id=event_id(client_ids[0]), occurred_at=at, client_id=client_ids[0], payload=payload
    )
    uow.emit_encoded(
        MEMBERSHIPS_TOPIC,
        encode_each(template, ((c, event_id(c)) for c in client_ids)),
        trace_headers=trace_headers,
    )


@dataclass(frozen=True)
class _Move:
    client_id: str
    segment: SegmentDef
    inside: bool  # entered, else exited
    cause: str
    portrait_version: int
    at: datetime
    trace: list[tuple[str, str]]  # of the portrait event that decided it


class PendingMoves:
    """The moves a batch's portraits decided (by the Python predicate), written at commit.

    A batch's moves take a few statements however many clients moved: an insert of every entry
    and a delete of every exit, each returning the rows it changed, then one history insert.
    A client that moves in and out of one segment within a batch has its moves written in
    rounds, in order. Events go out in decision order, only for the moves that changed a row,
    each in the trace of the portrait event that decided it.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._moves: list[_Move] = []
        uow.before_commit(self.flush)

    @classmethod
    def of(cls, uow: UnitOfWork) -> PendingMoves:
        pending = uow.cache.get("moves")
        if pending is None:
            pending = uow.cache["moves"] = cls(uow)
        return pending

    def add(
        self,
        store: SegmentStore,
        client_id: str,
        moves: list[tuple[SegmentDef, bool]],
        *,
        cause: str,
        portrait_version: int,
    ) -> None:
        """Queue one client's moves; the store sees them at once, the tables at commit."""
        now, trace = self._uow.clock.now(), current_trace_headers()
        for segment, inside in moves:
            store.moved(client_id, segment.id, entered=inside)
            self._moves.append(
                _Move(client_id, segment, inside, cause, portrait_version, now, trace)
            )

    async def flush(self) -> None:
        moves, self._moves = self._moves, []
        session = self._uow.session
        changed: set[int] = set()  # indexes of the moves that changed a row
        for round_ in _rounds(moves):
            entries = [(i, m) for i, m in round_ if m.inside]
            exits = [(i, m) for i, m in round_ if not m.inside]
            added = await memberships.enter_all(
                session, [(m.segment.id, m.client_id, m.at) for _, m in entries]
            )
            removed = await memberships.leave_all(
                session, [(m.segment.id, m.client_id) for _, m in exits]
            )
            changed |= {i for i, m in entries if (m.segment.id, m.client_id) in added}
            changed |= {i for i, m in exits if (m.segment.id, m.client_id) in removed}
        history = []
        for i, move in enumerate(moves):
            if i not in changed:
                continue  # another writer made this move first and announced it
            emit(
                self._uow,
                move.segment,
                [move.client_id],
                entered=move.inside,
                cause=move.cause,
                at=move.at,
                portrait_version=move.portrait_version,
                trace_headers=move.trace,
            )
            history.append(
                {
                    "segment_id": move.segment.id,
                    "client_id": move.client_id,
                    "change": "entered" if move.inside else "exited",
                    "at": move.at,
                    "cause": move.cause[:200],
                    "segment_version": move.segment.version,
                }
            )
        await memberships.append(session, history)


def _rounds(moves: list[_Move]) -> list[list[tuple[int, _Move]]]:
    """The moves split so that no round holds two of one (client, segment): the k-th move of a
    pair goes to round k, keeping each pair's moves in order."""
    rounds: list[list[tuple[int, _Move]]] = []
    seen: dict[tuple[str, str], int] = {}
    for i, move in enumerate(moves):
        key = (move.client_id, move.segment.id)
        k = seen.get(key, 0)
        seen[key] = k + 1
        if k == len(rounds):
            rounds.append([])
        rounds[k].append((i, move))
    return rounds


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
    # Exits first: they re-check only the members there were, not the ones just entered.
    exited = await memberships.leave_unmatching(session, segment.id, rule, scope)
    entered = (
        [] if archived else await memberships.enter_matching(session, segment.id, rule, scope, now)
    )
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
