"""The catalog of live segments, cached per process and reloaded when its version moves.

Every create, edit and archive raises the version in `segment_catalog` in its transaction;
a consumer batch reads that one number and rebuilds its index only when it changed.
"""

from __future__ import annotations

from reach_runtime.uow import UnitOfWork
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reach_segmenter.db.tables import CatalogRow, SegmentRow
from reach_segmenter.domain.catalog import Catalog, SegmentDef
from reach_segmenter.domain.segment import parse_rule


def segment_def(row: SegmentRow) -> SegmentDef:
    return SegmentDef(id=row.id, name=row.name, version=row.version, rule=parse_rule(row.rule))


async def live_segments(session: AsyncSession) -> list[SegmentRow]:
    return list(
        await session.scalars(
            select(SegmentRow).where(SegmentRow.archived_at.is_(None)).order_by(SegmentRow.name)
        )
    )


async def load_catalog(session: AsyncSession) -> Catalog:
    """The live segments as they are in this transaction."""
    version = await session.scalar(select(CatalogRow.version).where(CatalogRow.id == 1))
    return Catalog(version or 0, [segment_def(r) for r in await live_segments(session)])


async def bump(session: AsyncSession) -> None:
    """Tell every process that the live segments changed."""
    await session.execute(
        update(CatalogRow).where(CatalogRow.id == 1).values(version=CatalogRow.version + 1)
    )


class CatalogCache:
    """The last catalog this process built; one query per unit of work checks it is current."""

    def __init__(self) -> None:
        self._catalog: Catalog | None = None
        self.rebuilds = 0

    async def current(self, uow: UnitOfWork) -> Catalog:
        catalog = uow.cache.get("catalog")
        if catalog is not None:
            return catalog
        version = await uow.session.scalar(select(CatalogRow.version).where(CatalogRow.id == 1))
        if self._catalog is None or self._catalog.version != version:
            self._catalog = await load_catalog(uow.session)
            self.rebuilds += 1
        uow.cache["catalog"] = self._catalog
        return self._catalog
