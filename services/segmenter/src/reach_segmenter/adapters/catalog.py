"""The catalog of live segments, cached per process and reloaded when its version moves.

Every create, edit and archive raises the version in `segment_catalog` in its transaction;
a consumer batch reads that one number and rebuilds its index only when it changed.

The catalog is read under the locks that keep the two evaluators from racing on PostgreSQL,
taken before anything else is read and held until commit:
- a consumer batch holds the catalog row shared and `portraits` in ROW EXCLUSIVE mode (it will
  write portraits);
- a back-fill page holds the catalog row shared and `portraits` in SHARE mode, which waits for
  the batches in flight and keeps new ones out, but not the back-fill's other lanes (pages of
  disjoint client-id ranges);
- a sweep page holds the catalog row exclusively: it waits for both.
So a page never decides on a portrait that a batch in flight is changing, nor a batch on
memberships a page in flight is changing, and a segment change (which updates the catalog row)
waits for every pass evaluating with the catalog it replaces. (SQLite runs one writer at a time
anyway.)
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from reach_runtime.uow import UnitOfWork
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from reach_segmenter.db.tables import CatalogRow, SegmentRow
from reach_segmenter.domain.catalog import Catalog, SegmentDef
from reach_segmenter.domain.segment import parse_rule

Lock = Literal["batch", "page", "sweep"]  # who reads the catalog: see the module docstring


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

    async def current(self, uow: UnitOfWork, *, lock: Lock = "batch") -> Catalog:
        """The catalog, locked for this transaction as `lock` says (see the module docstring)."""
        catalog = uow.cache.get("catalog")
        if catalog is not None:
            return catalog
        version = await uow.session.scalar(_locked_version(lock))
        if lock != "sweep" and uow.session.bind.dialect.name == "postgresql":
            await uow.session.execute(_portraits_lock(lock))
        if self._catalog is None or self._catalog.version != version:
            self._catalog = await load_catalog(uow.session)
            self.rebuilds += 1
        uow.cache["catalog"] = self._catalog
        return self._catalog


@functools.cache
def _locked_version(lock: Lock) -> Any:
    """The catalog version, its row locked shared (batch, page) or exclusively (sweep)."""
    query = select(CatalogRow.version).where(CatalogRow.id == 1)
    return query.with_for_update(read=lock != "sweep")


@functools.cache
def _portraits_lock(lock: Lock) -> Any:
    return text(f"LOCK TABLE portraits IN {'ROW EXCLUSIVE' if lock == 'batch' else 'SHARE'} MODE")
