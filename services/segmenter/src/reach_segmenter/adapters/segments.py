"""Reading and writing segments and the portraits the consumer keeps.

A store belongs to one unit of work: portraits and memberships it has read stay at hand until
the transaction ends, and `load` reads a whole batch's worth in a few queries.
"""

from __future__ import annotations

from typing import Any

from reach_runtime.uow import UnitOfWork
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reach_segmenter.adapters import memberships
from reach_segmenter.db.tables import BackfillRow, PortraitRow, SegmentRow, SegmentVersionRow


class SegmentStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._portraits: dict[str, PortraitRow | None] = {}
        self._members: dict[str, set[str]] = {}  # client -> segment ids, for loaded clients

    @classmethod
    def of(cls, uow: UnitOfWork) -> SegmentStore:
        store = uow.cache.get("segments")
        if store is None:
            store = uow.cache["segments"] = cls(uow.session)
        return store

    async def load(self, client_ids: set[str]) -> None:
        """Portraits and memberships of many clients in a few queries."""
        wanted = sorted(c for c in client_ids if c not in self._portraits)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = {
                r.client_id: r
                for r in await self.session.scalars(
                    select(PortraitRow).where(PortraitRow.client_id.in_(chunk))
                )
            }
            for client_id in chunk:
                self._portraits[client_id] = rows.get(client_id)
        self._members.update(await memberships.members_of(self.session, wanted))

    async def stored_portrait(self, client_id: str) -> PortraitRow | None:
        """The last portrait seen for the client (its version and fields as JSON)."""
        if client_id not in self._portraits:
            await self.load({client_id})
        return self._portraits[client_id]

    async def save_portrait(self, client_id: str, version: int, fields: dict[str, Any]) -> None:
        row = self._portraits.get(client_id)
        if row is None:
            row = PortraitRow(client_id=client_id, version=version, fields=fields)
            self.session.add(row)
            self._portraits[client_id] = row
        else:
            row.version, row.fields = version, fields

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
