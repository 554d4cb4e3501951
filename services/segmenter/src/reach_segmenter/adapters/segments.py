"""Reading and writing segments, portraits and memberships."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from reach_contracts import Portrait
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reach_segmenter.db.tables import MembershipRow, PortraitRow, SegmentRow


class SegmentStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def segments(self) -> list[SegmentRow]:
        return list(await self.session.scalars(select(SegmentRow).order_by(SegmentRow.created_at)))

    async def segment(self, segment_id: str) -> SegmentRow | None:
        return await self.session.get(SegmentRow, segment_id)

    async def by_name(self, name: str) -> SegmentRow | None:
        return await self.session.scalar(select(SegmentRow).where(SegmentRow.name == name))

    async def portrait(self, client_id: str) -> tuple[int, Portrait] | None:
        row = await self.session.get(PortraitRow, client_id)
        return None if row is None else (row.version, Portrait.model_validate(row.fields))

    async def save_portrait(self, client_id: str, version: int, portrait: Portrait) -> None:
        fields = portrait.model_dump(mode="json")
        row = await self.session.get(PortraitRow, client_id)
        if row is None:
            self.session.add(PortraitRow(client_id=client_id, version=version, fields=fields))
        else:
            row.version, row.fields = version, fields

    async def portraits(self, *, page_size: int = 1000) -> AsyncIterator[tuple[str, Portrait]]:
        """Every stored portrait, in client-id pages."""
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
            for row in rows:
                yield row.client_id, Portrait.model_validate(row.fields)
            if len(rows) < page_size:
                return
            after = rows[-1].client_id

    async def is_member(self, segment_id: str, client_id: str) -> bool:
        return await self.session.get(MembershipRow, (segment_id, client_id)) is not None

    async def enter(self, segment_id: str, client_id: str, at: datetime) -> None:
        self.session.add(MembershipRow(segment_id=segment_id, client_id=client_id, entered_at=at))
        await self.session.flush()

    async def exit(self, segment_id: str, client_id: str) -> None:
        row = await self.session.get(MembershipRow, (segment_id, client_id))
        if row is not None:
            await self.session.delete(row)
            await self.session.flush()

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
