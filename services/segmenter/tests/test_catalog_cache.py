"""The consumer's field index is built once and reused across batches, and rebuilt as soon as a
segment is created, edited or archived (by any process: the version is in the database)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from reach_runtime import migrations
from reach_runtime.clock import ManualClock
from reach_runtime.db import create_engine, session_factory
from reach_runtime.uow import UnitOfWorkFactory
from reach_segmenter.adapters.catalog import CatalogCache
from reach_segmenter.bootstrap import bootstrap
from reach_segmenter.domain.catalog import Catalog
from reach_segmenter.handlers.segments import archive_segment, create_segment, edit_segment
from reach_segmenter.settings import SegmenterSettings

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def test_the_index_is_reused_until_a_segment_changes(database_url: str) -> None:
    definition = bootstrap(SegmenterSettings(database_url=database_url))
    await asyncio.to_thread(
        migrations.upgrade, definition.migrations, definition.metadata, database_url
    )
    engine = create_engine(database_url)
    uows = UnitOfWorkFactory(session_factory(engine), clock=ManualClock(NOW))
    cache = CatalogCache()

    async def current() -> Catalog:
        async with uows() as uow:
            return await cache.current(uow)

    try:
        empty = await current()
        assert await current() is empty and await current() is empty
        assert cache.rebuilds == 1

        async with uows() as uow:
            rule = {"field": "trade_count", "op": "gte", "value": 1}
            segment, _ = await create_segment(uow=uow, name="traders", description="", rule=rule)
        after_create = await current()
        assert cache.rebuilds == 2
        assert after_create.reading({"trade_count"}) == {segment.id}

        async with uows() as uow:
            rule = {"field": "login_count", "op": "gte", "value": 1}
            await edit_segment(uow=uow, segment_id=segment.id, description=None, rule=rule)
        after_edit = await current()
        assert after_edit.reading({"trade_count"}) == set()
        assert after_edit.reading({"login_count"}) == {segment.id}
        assert after_edit.by_id[segment.id].version == 2

        async with uows() as uow:
            await archive_segment(uow=uow, segment_id=segment.id)
        assert (await current()).by_id == {}
        assert cache.rebuilds == 4
    finally:
        await engine.dispose()
