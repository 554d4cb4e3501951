"""Reading and writing segments and the portraits the consumer keeps.

A store belongs to one unit of work: portraits and memberships it has read stay at hand until
the transaction ends, `load` reads a whole batch's worth in one query, and the portraits it
was given are written at commit in one statement.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reach_runtime.db import insert_of, named_values_table, values_param
from reach_runtime.uow import UnitOfWork
from sqlalchemy import ColumnElement, null, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from reach_segmenter.adapters import memberships
from reach_segmenter.db.tables import BackfillRow, PortraitRow, SegmentRow, SegmentVersionRow

portraits = PortraitRow.__table__


@dataclass(frozen=True)
class StoredPortrait:
    """The last portrait seen for a client: its version and its fields as stored."""

    version: int
    fields: dict[str, Any]


class SegmentStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._portraits: dict[str, StoredPortrait | None] = {}
        self._saved: dict[str, StoredPortrait] = {}  # written at commit
        self._members: dict[str, set[str]] = {}  # client -> segment ids, for loaded clients

    @classmethod
    def of(cls, uow: UnitOfWork) -> SegmentStore:
        store = uow.cache.get("segments")
        if store is None:
            store = uow.cache["segments"] = cls(uow.session)
            uow.before_commit(store.flush)
        return store

    async def load(self, client_ids: set[str]) -> None:
        """Portraits and memberships of many clients in one query."""
        wanted = sorted(c for c in client_ids if c not in self._portraits)
        if not wanted:
            return
        dialect = self.session.get_bind().dialect.name
        rows = await self.session.execute(
            _portraits_and_memberships(dialect), {"ids": values_param(dialect, wanted)}
        )
        for client_id in wanted:
            self._portraits[client_id] = None
            self._members[client_id] = set()
        for client_id, version, fields, segment_id in rows:
            if segment_id is None:
                self._portraits[client_id] = StoredPortrait(version, fields)
            else:
                self._members[client_id].add(segment_id)

    async def stored_portrait(self, client_id: str) -> StoredPortrait | None:
        """The last portrait seen for the client (its version and fields as JSON)."""
        if client_id not in self._portraits:
            await self.load({client_id})
        return self._portraits[client_id]

    def save_portrait(self, client_id: str, version: int, fields: dict[str, Any]) -> None:
        """Keep the client's newest portrait; written to the table at commit."""
        self._portraits[client_id] = self._saved[client_id] = StoredPortrait(version, fields)

    async def flush(self) -> None:
        """Write the portraits saved in this unit of work: one upsert."""
        if not self._saved:
            return
        rows = [
            {"client_id": c, "version": p.version, "fields": p.fields}
            for c, p in self._saved.items()
        ]
        self._saved = {}
        await self.session.execute(_upsert_portraits(self.session.get_bind().dialect.name), rows)

    async def member_of(self, client_id: str) -> set[str]:
        """Ids of the segments the client belongs to (kept current by `moved`)."""
        if client_id not in self._members:
            await self.load({client_id})
        return self._members[client_id]

    def moved(self, client_id: str, segment_id: str, *, entered: bool) -> None:
        members = self._members.setdefault(client_id, set())
        if entered:
            members.add(segment_id)
        else:
            members.discard(segment_id)

    # segments

    async def segments(self, *, archived: bool = False) -> list[SegmentRow]:
        query = select(SegmentRow).order_by(SegmentRow.created_at, SegmentRow.name)
        if not archived:
            query = query.where(SegmentRow.archived_at.is_(None))
        return list(await self.session.scalars(query))

    async def segment(self, segment_id: str) -> SegmentRow | None:
        return await self.session.get(SegmentRow, segment_id)

    async def by_name(self, name: str) -> SegmentRow | None:
        return await self.session.scalar(select(SegmentRow).where(SegmentRow.name == name))

    async def versions(self, segment_id: str) -> list[SegmentVersionRow]:
        return list(
            await self.session.scalars(
                select(SegmentVersionRow)
                .where(SegmentVersionRow.segment_id == segment_id)
                .order_by(SegmentVersionRow.version)
            )
        )

    async def latest_backfill(self, segment_id: str) -> BackfillRow | None:
        return await self.session.scalar(
            select(BackfillRow)
            .where(BackfillRow.segment_id == segment_id)
            .order_by(BackfillRow.number.desc())
            .limit(1)
        )


@functools.cache
def _upsert_portraits(dialect: str) -> Any:
    insert = insert_of(dialect)(portraits)
    return insert.on_conflict_do_update(
        index_elements=[portraits.c.client_id],
        set_={"version": insert.excluded.version, "fields": insert.excluded.fields},
    )


@functools.cache
def _portraits_and_memberships(dialect: str) -> Any:
    """The portraits (segment id null) and the memberships (version and fields null) of the
    clients in parameter `ids`, as one statement built once: a batch reads both in one trip."""
    ids = select(named_values_table(dialect, "ids").c.value).scalar_subquery()
    members = memberships.memberships
    return union_all(
        select(portraits.c.client_id, portraits.c.version, portraits.c.fields, null()).where(
            portraits.c.client_id.in_(ids)
        ),
        select(members.c.client_id, null(), null(), members.c.segment_id).where(
            members.c.client_id.in_(ids)
        ),
    )


async def end_backfills(
    session: AsyncSession, which: ColumnElement[bool], status: str, now: datetime, **values: Any
) -> None:
    """End the running back-fill jobs `which` selects as `status` (done or superseded)."""
    await session.execute(
        update(BackfillRow)
        .where(which, BackfillRow.status == "running")
        .values(status=status, updated_at=now, finished_at=now, **values)
    )
