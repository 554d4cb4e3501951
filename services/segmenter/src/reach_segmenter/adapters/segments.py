"""Reading and writing segments, portraits and memberships.

A store belongs to one unit of work: segments, portraits and memberships it has read stay at
hand until the transaction ends, and `load` reads a whole batch's worth in a few queries.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from reach_contracts import Portrait
from reach_runtime.uow import UnitOfWork
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reach_segmenter.db.tables import MembershipRow, PortraitRow, SegmentRow
from reach_segmenter.domain.rules import Rule, fields_of
from reach_segmenter.domain.segment import parse_rule


class SegmentStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._segments: list[SegmentRow] | None = None
        self._rules: dict[str, Rule] = {}
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
        wanted = [c for c in client_ids if c not in self._portraits]
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
                self._members[client_id] = set()
            memberships = await self.session.execute(
                select(MembershipRow.client_id, MembershipRow.segment_id).where(
                    MembershipRow.client_id.in_(chunk)
                )
            )
            for client_id, segment_id in memberships:
                self._members[client_id].add(segment_id)

    async def segments(self) -> list[SegmentRow]:
        if self._segments is None:
            self._segments = list(
                await self.session.scalars(select(SegmentRow).order_by(SegmentRow.created_at))
            )
        return self._segments

    def rule(self, segment: SegmentRow) -> Rule:
        """The segment's parsed rule (parsed once per transaction)."""
        if segment.id not in self._rules:
            self._rules[segment.id] = parse_rule(segment.rule)
        return self._rules[segment.id]

    def fields(self, segment: SegmentRow) -> frozenset[str]:
        """The portrait fields the segment's rule reads."""
        return fields_of(self.rule(segment))

    async def segment(self, segment_id: str) -> SegmentRow | None:
        return await self.session.get(SegmentRow, segment_id)

    async def by_name(self, name: str) -> SegmentRow | None:
        return await self.session.scalar(select(SegmentRow).where(SegmentRow.name == name))

    async def stored_portrait(self, client_id: str) -> PortraitRow | None:
        """The last portrait seen for the client (its version and fields as JSON)."""
        if client_id not in self._portraits:
            await self.load({client_id})
        return self._portraits[client_id]

    async def save_portrait(self, client_id: str, version: int, fields: dict) -> None:
        row = self._portraits.get(client_id)
        if row is None:
            row = PortraitRow(client_id=client_id, version=version, fields=fields)
            self.session.add(row)
            self._portraits[client_id] = row
        else:
            row.version, row.fields = version, fields

    async def portraits(self, *, page_size: int = 1000) -> AsyncIterator[tuple[str, Portrait]]:
        """Every stored portrait, in client-id pages, with their memberships loaded."""
        after = ""
        while True:
            rows = list(
                await self.session.scalars(
                    select(PortraitRow)
                    .where(PortraitRow.client_id > after)
                    .order_by(PortraitRow.client_id)
                    .limit(page_size)
                )
            )
            await self.load({r.client_id for r in rows})
            for row in rows:
                yield row.client_id, Portrait.model_validate(row.fields)
            if len(rows) < page_size:
                return
            after = rows[-1].client_id

    async def is_member(self, segment_id: str, client_id: str) -> bool:
        if client_id not in self._members:
            await self.load({client_id})
        return segment_id in self._members[client_id]

    async def enter(self, segment_id: str, client_id: str, at: datetime) -> None:
        self.session.add(MembershipRow(segment_id=segment_id, client_id=client_id, entered_at=at))
        self._members.setdefault(client_id, set()).add(segment_id)

    async def exit(self, segment_id: str, client_id: str) -> None:
        row = await self.session.get(MembershipRow, (segment_id, client_id))
        if row is not None:
            await self.session.delete(row)
        self._members.get(client_id, set()).discard(segment_id)

    async def members(
        self, segment_id: str, *, after: str | None, limit: int
    ) -> list[MembershipRow]:
        query = select(MembershipRow).where(MembershipRow.segment_id == segment_id)
        if after:
            query = query.where(MembershipRow.client_id > after)
        return list(
            await self.session.scalars(query.order_by(MembershipRow.client_id).limit(limit))
        )

    async def member_count(self, segment_id: str) -> int:
        return (
            await self.session.scalar(
                select(func.count())
                .select_from(MembershipRow)
                .where(MembershipRow.segment_id == segment_id)
            )
            or 0
        )


async def preload(events: list, uow: UnitOfWork) -> None:
    """A batch's portraits and memberships in a few queries."""
    await SegmentStore.of(uow).load({e.client_id for e in events})
