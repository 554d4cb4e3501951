"""What campaign knows of each client: the latest portrait, the segments it is in, what it did
(per upstream event type) and the outreach picked for it. Kept per unit of work: read for a
whole batch in a few queries (a client read once is known, also when nothing is stored for it),
changed in memory by the handlers, and written at commit in one statement per table (the
decisions are ORM rows, written by the session)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from reach_runtime.db import insert_for
from reach_runtime.uow import UnitOfWork
from sqlalchemy import Table, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from reach_campaign.db.tables import (
    ClientActivityRow,
    ClientPortraitRow,
    DecisionRow,
    SegmentMembershipRow,
)

portraits = cast(Table, ClientPortraitRow.__table__)
activity = cast(Table, ClientActivityRow.__table__)
memberships = cast(Table, SegmentMembershipRow.__table__)
CHUNK = 500  # clients per query
# the decisions re-entry ("already picked"), feedback and the caps read
PICKED = ("requested", "held_out", "scheduled")


@dataclass
class Activity:
    """What a client did of one event type: first and last time, how often."""

    first_at: datetime
    last_at: datetime
    count: int


@dataclass(frozen=True)
class Portrait:
    version: int
    fields: dict[str, Any]


class ClientState:
    def __init__(self, session: AsyncSession, clock_now: datetime) -> None:
        self.session = session
        self._now = clock_now
        self._portraits: dict[str, Portrait | None] = {}
        self._segments: dict[str, set[str]] = {}  # client -> segment ids
        self._activity: dict[str, dict[str, Activity]] = {}  # client -> event type -> activity
        self._decisions: dict[str, list[DecisionRow]] = {}  # client -> picked, and this batch's
        self._saved_portraits: dict[str, Portrait] = {}
        self._joined: dict[tuple[str, str], datetime] = {}  # (segment, client) -> entered at
        self._left: set[tuple[str, str]] = set()  # (segment, client) that exited, maybe re-entered
        self._done: set[tuple[str, str]] = set()  # activity changed in this unit of work

    @classmethod
    def of(cls, uow: UnitOfWork) -> ClientState:
        state = uow.cache.get("clients")
        if state is None:
            state = uow.cache["clients"] = cls(uow.session, uow.clock.now())
            uow.before_commit(state.flush)
        return state

    async def load(self, client_ids: set[str]) -> None:
        """Portraits, memberships, activity and decisions of many clients: four queries per 500."""
        wanted = sorted(c for c in client_ids if c not in self._portraits)
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            for client_id in chunk:
                self._portraits[client_id] = None
                self._segments[client_id] = set()
                self._activity[client_id] = {}
                self._decisions[client_id] = []
            for client_id, version, fields in await self.session.execute(
                select(portraits.c.client_id, portraits.c.version, portraits.c.fields).where(
                    portraits.c.client_id.in_(chunk)
                )
            ):
                self._portraits[client_id] = Portrait(version, fields)
            for client_id, segment_id in await self.session.execute(
                select(memberships.c.client_id, memberships.c.segment_id).where(
                    memberships.c.client_id.in_(chunk)
                )
            ):
                self._segments[client_id].add(segment_id)
            for client_id, event_type, first_at, last_at, count in await self.session.execute(
                select(
                    activity.c.client_id,
                    activity.c.event_type,
                    activity.c.first_at,
                    activity.c.last_at,
                    activity.c.count,
                ).where(activity.c.client_id.in_(chunk))
            ):
                self._activity[client_id][event_type] = Activity(first_at, last_at, count)
            for decision in await self.session.scalars(
                select(DecisionRow).where(
                    DecisionRow.client_id.in_(chunk), DecisionRow.decision.in_(PICKED)
                )
            ):
                self._decisions[decision.client_id].append(decision)

    async def _known(self, client_id: str) -> None:
        if client_id not in self._portraits:
            await self.load({client_id})

    # portraits

    async def portrait(self, client_id: str) -> dict[str, Any]:
        """The client's latest portrait fields (a copy), empty when none was seen yet."""
        await self._known(client_id)
        stored = self._portraits[client_id]
        return dict(stored.fields) if stored else {}

    async def save_portrait(self, client_id: str, version: int, fields: dict[str, Any]) -> bool:
        """Keep the portrait unless a newer or the same version is known; False if kept out."""
        await self._known(client_id)
        stored = self._portraits[client_id]
        if stored is not None and stored.version >= version:
            return False
        self._portraits[client_id] = self._saved_portraits[client_id] = Portrait(version, fields)
        return True

    # memberships

    async def in_segment(self, client_id: str, segment_id: str) -> bool:
        await self._known(client_id)
        return segment_id in self._segments[client_id]

    async def moved(self, client_id: str, segment_id: str, *, entered_at: datetime | None) -> None:
        """The client entered the segment at `entered_at`, or left it (None)."""
        await self._known(client_id)
        segments, key = self._segments[client_id], (segment_id, client_id)
        if entered_at is None:
            segments.discard(segment_id)
            self._joined.pop(key, None)
            self._left.add(key)
        elif segment_id not in segments:  # a member already keeps its entry time
            segments.add(segment_id)
            self._joined[key] = entered_at

    # activity

    async def activity(self, client_id: str, event_type: str) -> Activity | None:
        await self._known(client_id)
        return self._activity[client_id].get(event_type)

    async def did(self, client_id: str, event_type: str, at: datetime) -> Activity | None:
        """Count one more `event_type` at `at`; returns the activity as it was before."""
        await self._known(client_id)
        known = self._activity[client_id].get(event_type)
        before = Activity(known.first_at, known.last_at, known.count) if known else None
        if known is None:
            known = self._activity[client_id][event_type] = Activity(at, at, 0)
        known.count += 1
        known.first_at, known.last_at = min(known.first_at, at), max(known.last_at, at)
        self._done.add((client_id, event_type))
        return before

    # decisions

    async def decisions(self, client_id: str) -> list[DecisionRow]:
        """The client's requested, held-out and scheduled decisions, and every decision made for
        it in this unit of work (whatever its outcome), as they are now."""
        await self._known(client_id)
        return self._decisions[client_id]

    async def decided(self, row: DecisionRow) -> None:
        """A decision made in this unit of work (added to the session by the caller)."""
        await self._known(row.client_id)
        self._decisions[row.client_id].append(row)

    async def flush(self) -> None:
        """Write what changed in this unit of work: an upsert per table; the exits (also of a
        client who then came back in the same batch) before the entries."""
        insert = insert_for(self.session)
        if self._saved_portraits:
            rows = [
                {"client_id": c, "version": p.version, "fields": p.fields, "updated_at": self._now}
                for c, p in self._saved_portraits.items()
            ]
            self._saved_portraits = {}
            statement = insert(portraits)
            await self.session.execute(
                statement.on_conflict_do_update(
                    index_elements=[portraits.c.client_id],
                    set_={
                        "version": statement.excluded.version,
                        "fields": statement.excluded.fields,
                        "updated_at": statement.excluded.updated_at,
                    },
                    where=portraits.c.version < statement.excluded.version,
                ),
                rows,
            )
        if self._done:
            rows = [
                {"client_id": c, "event_type": t, **vars(self._activity[c][t])}
                for c, t in sorted(self._done)
            ]
            self._done = set()
            statement = insert(activity)
            await self.session.execute(
                statement.on_conflict_do_update(
                    index_elements=[activity.c.client_id, activity.c.event_type],
                    set_={
                        "first_at": statement.excluded.first_at,
                        "last_at": statement.excluded.last_at,
                        "count": statement.excluded.count,
                    },
                ),
                rows,
            )
        exited, self._left = sorted(self._left), set()
        entered = [
            {"segment_id": s, "client_id": c, "entered_at": at}
            for (s, c), at in sorted(self._joined.items())
        ]
        self._joined = {}
        if exited:
            for start in range(0, len(exited), CHUNK):
                await self.session.execute(
                    delete(memberships).where(
                        tuple_(memberships.c.segment_id, memberships.c.client_id).in_(
                            exited[start : start + CHUNK]
                        )
                    )
                )
        if entered:
            await self.session.execute(
                insert(memberships).on_conflict_do_nothing(
                    index_elements=[memberships.c.segment_id, memberships.c.client_id]
                ),
                entered,
            )
