"""A sweep looks only at clients whose timestamps crossed a window edge since the last sweep,
and still leaves every member where the rule puts them at the new now."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

from reach_contracts import Portrait, PortraitUpdated
from reach_runtime import migrations
from reach_runtime.clock import ManualClock
from reach_runtime.db import create_engine, session_factory
from reach_runtime.uow import UnitOfWorkFactory
from reach_segmenter.adapters.catalog import CatalogCache
from reach_segmenter.adapters.rule_sql import rule_clause
from reach_segmenter.bootstrap import bootstrap
from reach_segmenter.db.tables import MembershipRow, PortraitRow
from reach_segmenter.domain.segment import parse_rule
from reach_segmenter.handlers.backfills import run_page, sweep
from reach_segmenter.handlers.portraits import on_portrait_updated, preloader
from reach_segmenter.handlers.segments import create_segment
from reach_segmenter.settings import SegmenterSettings
from sqlalchemy import select

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
RULE = {
    "any": [
        {"field": "last_login_at", "op": "not_within", "value": "1d"},
        {
            "all": [
                {"field": "last_trade_at", "op": "within", "value": "3h"},
                {"field": "trade_count", "op": "gte", "value": 2},
            ]
        },
    ]
}


async def test_after_each_sweep_the_members_are_exactly_the_clients_the_rule_selects_then(
    database_url: str,
) -> None:
    definition = bootstrap(SegmenterSettings(database_url=database_url))
    await asyncio.to_thread(
        migrations.upgrade, definition.migrations, definition.metadata, database_url
    )
    engine = create_engine(database_url)
    clock = ManualClock(T0)
    uows = UnitOfWorkFactory(session_factory(engine), clock=clock)
    catalogs = CatalogCache()
    rng = random.Random(11)
    try:
        async with uows() as uow:
            events = [
                PortraitUpdated(
                    event_id=f"C{n:03d}-v1",
                    occurred_at=T0,
                    client_id=f"C{n:03d}",
                    payload=Portrait(
                        version=1,
                        as_of=T0,
                        last_login_at=T0 - timedelta(minutes=rng.randint(0, 3000)),
                        last_trade_at=T0 - timedelta(minutes=rng.randint(0, 300)),
                        trade_count=rng.randint(0, 3),
                    ),
                )
                for n in range(150)
            ]
            await preloader(catalogs)(events, uow)
            for event in events:
                await on_portrait_updated(event, uow, catalogs=catalogs)
            await uow.commit()
        async with uows() as uow:
            segment, _ = await create_segment(uow=uow, name="lapsed", description="", rule=RULE)
        while True:
            async with uows() as uow:
                if not await run_page(uow=uow, catalogs=catalogs, page_size=40, lanes=1):
                    break

        moved = 0
        for step in [17, 45, 60, 5, 120, 240, -300, 600]:  # -300: the clock goes back
            clock.advance(timedelta(minutes=step))
            entered, exited = await sweep(uows=uows, catalogs=catalogs, page_size=40)
            moved += entered + exited
            async with uows() as uow:
                clause = rule_clause(
                    parse_rule(RULE), dialect=engine.dialect.name, now=clock.now(), segment_ids={}
                )
                should = set(await uow.session.scalars(select(PortraitRow.client_id).where(clause)))
                members = set(
                    await uow.session.scalars(
                        select(MembershipRow.client_id).where(
                            MembershipRow.segment_id == segment.id
                        )
                    )
                )
            assert members == should, f"after {step} more minutes"
        assert moved > 20  # the clock did move clients
    finally:
        await engine.dispose()
