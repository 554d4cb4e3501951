"""Segment commands refuse unknown references, cycles and archiving a segment still in use,
and a refused command leaves nothing behind."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from reach_runtime import migrations
from reach_runtime.clock import ManualClock
from reach_runtime.db import create_engine, session_factory
from reach_runtime.errors import Conflict, Invalid
from reach_runtime.uow import UnitOfWorkFactory
from reach_segmenter.adapters.catalog import load_catalog
from reach_segmenter.bootstrap import bootstrap
from reach_segmenter.db.tables import BackfillRow, SegmentRow
from reach_segmenter.handlers.segments import archive_segment, create_segment, edit_segment
from reach_segmenter.settings import SegmenterSettings
from sqlalchemy import func, select

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def test_refused_changes_say_why_and_leave_nothing_behind(database_url: str) -> None:
    definition = bootstrap(SegmenterSettings(database_url=database_url))
    await asyncio.to_thread(
        migrations.upgrade, definition.migrations, definition.metadata, database_url
    )
    engine = create_engine(database_url)
    uows = UnitOfWorkFactory(session_factory(engine), clock=ManualClock(NOW))

    async def create(name: str, rule: dict) -> SegmentRow:
        async with uows() as uow:
            segment, _ = await create_segment(uow=uow, name=name, description="", rule=rule)
            return segment

    async def state() -> tuple[int, int, int]:
        async with uows() as uow:
            count = select(func.count())
            return (
                await uow.session.scalar(count.select_from(SegmentRow)),
                await uow.session.scalar(count.select_from(BackfillRow)),
                (await load_catalog(uow.session)).version,
            )

    try:
        valid = await create("valid", {"field": "total_assets", "op": "gte", "value": 10_000})
        core = await create("core", {"all": [{"segment": "valid"}]})
        before = await state()

        with pytest.raises(Invalid, match="no live segment named 'nope'") as unknown:
            await create("x", {"any": [{"segment": "valid"}, {"not": {"segment": "nope"}}]})
        assert unknown.value.field == "rule.any.1.not.segment"
        with pytest.raises(Invalid, match="cycle: core -> valid -> core"):
            async with uows() as uow:
                await edit_segment(
                    uow=uow, segment_id=valid.id, description=None, rule={"segment": "core"}
                )
        with pytest.raises(Invalid, match="cycle: self -> self"):
            await create("self", {"segment": "self"})
        with pytest.raises(Conflict, match="referred to by core"):
            async with uows() as uow:
                await archive_segment(uow=uow, segment_id=valid.id)
        assert await state() == before

        async with uows() as uow:
            await archive_segment(uow=uow, segment_id=core.id)
        async with uows() as uow:
            await archive_segment(uow=uow, segment_id=valid.id)  # no longer in use
        with pytest.raises(Invalid, match="no live segment named 'valid'"):
            await create("again", {"segment": "valid"})
    finally:
        await engine.dispose()
