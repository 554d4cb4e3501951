"""A consumer batch reads what it decides on — the stored portraits and memberships of its
clients — in one query however many clients it holds, and reads them right."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reach_contracts import Portrait, PortraitUpdated
from reach_runtime.clock import ManualClock
from reach_runtime.testing import selects, units_of_work
from reach_segmenter.adapters.catalog import CatalogCache
from reach_segmenter.adapters.segments import SegmentStore
from reach_segmenter.bootstrap import bootstrap
from reach_segmenter.db.tables import MembershipRow, PortraitRow
from reach_segmenter.handlers.backfills import run_page
from reach_segmenter.handlers.portraits import on_portrait_updated, preloader
from reach_segmenter.handlers.segments import create_segment
from reach_segmenter.settings import SegmenterSettings
from sqlalchemy import select

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def portrait_event(n: int, version: int) -> PortraitUpdated:
    return PortraitUpdated(
        event_id=f"C{n:03d}-v{version}",
        occurred_at=T0,
        client_id=f"C{n:03d}",
        payload=Portrait(
            version=version,
            as_of=T0,
            trade_count=n % 7,
            last_login_at=T0 - timedelta(days=n % 40),
        ),
    )


async def test_a_batch_reads_its_clients_portraits_and_memberships_in_one_query(
    database_url: str,
) -> None:
    definition = bootstrap(SegmenterSettings(database_url=database_url))
    catalogs = CatalogCache()
    async with units_of_work(
        definition.migrations, definition.metadata, database_url, clock=ManualClock(T0)
    ) as uows:
        async with uows() as uow:
            for name, rule in [
                ("traders", {"field": "trade_count", "op": "gte", "value": 3}),
                ("recent", {"field": "last_login_at", "op": "within", "value": "10d"}),
            ]:
                await create_segment(uow=uow, name=name, description="", rule=rule)
        async with uows() as uow:  # 30 clients known, with 0, 1 or 2 memberships each
            events = [portrait_event(n, 1) for n in range(30)]
            await preloader(catalogs)(events, uow)
            for event in events:
                await on_portrait_updated(event, uow, catalogs=catalogs)
            await uow.commit()
        while True:
            async with uows() as uow:
                if not await run_page(uow=uow, catalogs=catalogs, page_size=100, lanes=1):
                    break
        async with uows() as uow:
            stored = {
                c: (v, f)
                for c, v, f in await uow.session.execute(
                    select(PortraitRow.client_id, PortraitRow.version, PortraitRow.fields)
                )
            }
            members: dict[str, set[str]] = {}
            for c, s in await uow.session.execute(
                select(MembershipRow.client_id, MembershipRow.segment_id)
            ):
                members.setdefault(c, set()).add(s)
        assert len(stored) == 30 and {len(m) for m in members.values()} == {1, 2}

        counts = []
        for clients in (range(25, 26), range(0, 60)):  # one client; 30 known and 30 new
            async with uows() as uow:
                await catalogs.current(uow)
                with selects(uow) as seen:
                    batch = [portrait_event(n, 2) for n in clients]
                    await preloader(catalogs)(batch, uow)
                    store = SegmentStore.of(uow)
                    for n in clients:
                        c = f"C{n:03d}"
                        portrait = await store.stored_portrait(c)
                        loaded = None if portrait is None else (portrait.version, portrait.fields)
                        assert loaded == stored.get(c), c
                        assert await store.member_of(c) == members.get(c, set()), c
                counts.append(len(seen))
        assert counts == [1, 1]
