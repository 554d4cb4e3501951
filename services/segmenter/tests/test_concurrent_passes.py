"""A back-fill racing a stream of portrait changes for the same clients: at the end, the members
are exactly the clients the rule selects, and each client's announced moves lead there."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest
from reach_contracts import Portrait, PortraitUpdated, decode
from reach_runtime.clock import ManualClock
from reach_runtime.stack import Broker
from reach_runtime.testing import eventually, running, units_of_work
from reach_runtime.uow import UnitOfWork, UnitOfWorkFactory
from reach_segmenter.adapters import memberships
from reach_segmenter.adapters.catalog import CatalogCache
from reach_segmenter.bootstrap import bootstrap
from reach_segmenter.db.tables import BackfillLaneRow, BackfillRow, SegmentRow
from reach_segmenter.handlers.backfills import run_page
from reach_segmenter.handlers.portraits import on_portrait_updated, preloader
from reach_segmenter.handlers.segments import create_segment
from reach_segmenter.settings import SegmenterSettings
from sqlalchemy import select

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TOPIC = "reach.segment-memberships.v1"
CLIENTS = 600
Consume = Callable[[PortraitUpdated, UnitOfWork], Awaitable[None]]
TRADERS = {"field": "trade_count", "op": "gte", "value": 1}  # the segment of every test here


def portrait(n: int, version: int, trades: int) -> PortraitUpdated:
    return PortraitUpdated(
        event_id=f"C{n:04d}-v{version}",
        occurred_at=NOW,
        client_id=f"C{n:04d}",
        payload=Portrait(version=version, as_of=NOW, trade_count=trades),
    )


async def test_a_back_fill_and_the_stream_together_leave_every_client_where_its_rule_says(
    postgres_url: str, broker: Broker
) -> None:
    rng = random.Random(5)
    final: dict[str, int] = {}
    first = [portrait(n, 1, rng.randint(0, 1)) for n in range(CLIENTS)]
    await broker.publish("reach.portraits.v1", *first)
    settings = SegmenterSettings(
        database_url=postgres_url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=broker.prefix,
        relay_poll_interval_ms=50,
        backfill_poll_s=0.01,
        backfill_page_size=15,
        consumer_max_records=20,
    )
    async with running(bootstrap(settings)) as (runtime, client):
        await eventually(lambda: runtime.consumer.caught_up)
        created = (await client.post("/segments", json={"name": "traders", "rule": TRADERS})).json()
        changes = []
        for version in (2, 3):
            for n in rng.sample(range(CLIENTS), CLIENTS // 2):
                changes.append(portrait(n, version, rng.randint(0, 1)))
        await broker.publish("reach.portraits.v1", *changes)

        async def settled() -> bool:
            job = (await client.get(created["backfill_url"])).json()
            return job["status"] == "done" and runtime.consumer.caught_up

        assert await eventually(settled, timeout_s=120)
        for event in first + changes:
            final[event.client_id] = max(
                (
                    final.get(event.client_id, (0, 0)),
                    (event.payload.version, event.payload.trade_count),
                )
            )
        should = sorted(c for c, (_v, trades) in final.items() if trades >= 1)
        members, after = [], None
        while True:
            page = (
                await client.get(
                    f"/segments/{created['id']}/members", params={"limit": 1000, "after": after}
                )
            ).json()
            members += [m["client_id"] for m in page]
            if len(page) < 1000:
                break
            after = page[-1]["client_id"]
        assert members == should

        records = await broker.read(
            TOPIC, until=lambda rs: len({r.value for r in rs}) >= len(should)
        )
        await eventually(lambda: False, timeout_s=1)  # let the relay finish
        records = await broker.read(TOPIC, until=lambda rs: False, timeout_s=3)
    moves: dict[str, list[str]] = defaultdict(list)
    seen = set()
    for record in records:
        event = decode(TOPIC, record.value)
        if event.event_id not in seen:
            seen.add(event.event_id)
            moves[event.client_id].append(event.event_type.split(".")[1])
    for client_id, sequence in moves.items():
        assert sequence == ["entered", "exited"] * (len(sequence) // 2) + ["entered"] * (
            len(sequence) % 2
        ), client_id
    assert sorted(c for c, sequence in moves.items() if sequence[-1] == "entered") == should


@pytest.fixture
async def uows(postgres_url: str) -> AsyncIterator[UnitOfWorkFactory]:
    """Units of work on the segmenter's database, migrated, with no service running."""
    definition = bootstrap(SegmenterSettings(database_url=postgres_url))
    async with units_of_work(
        definition.migrations, definition.metadata, postgres_url, clock=ManualClock(NOW)
    ) as factory:
        yield factory


def consumer() -> Consume:
    """What the consumer does with a portrait event in a batch: preload (locks first), handle."""
    catalogs = CatalogCache()
    preload = preloader(catalogs)

    async def consume(event: PortraitUpdated, uow: UnitOfWork) -> None:
        await preload([event], uow)
        await on_portrait_updated(event, uow, catalogs=catalogs)

    return consume


async def traders(
    uows: UnitOfWorkFactory, consume: Consume, first: list[PortraitUpdated]
) -> tuple[SegmentRow, BackfillRow]:
    """The clients' first portraits, stored as the consumer stores them; then the segment of
    those who traded, created with its back-fill queued and not yet run."""
    async with uows() as uow:
        for event in first:
            await consume(event, uow)
        await uow.commit()
    async with uows() as uow:
        return await create_segment(uow=uow, name="traders", description="", rule=TRADERS)


async def backfill_page(uows: UnitOfWorkFactory) -> bool:
    """One back-fill page of a two-lane job, committed."""
    async with uows() as uow:
        return await run_page(uow=uow, catalogs=CatalogCache(), page_size=100, lanes=2)


async def a_page_waits_for(batch: UnitOfWork, uows: UnitOfWorkFactory) -> None:
    """A back-fill page started while `batch` is in flight decides only after it commits."""
    page = asyncio.ensure_future(backfill_page(uows))
    await asyncio.sleep(0.5)
    assert not page.done(), "the page decided while the batch was in flight"
    await batch.commit()
    await batch.__aexit__(None, None, None)
    assert await asyncio.wait_for(page, timeout=10)


async def test_a_back_fill_page_waits_for_a_batch_in_flight_and_decides_on_its_portrait(
    uows: UnitOfWorkFactory,
) -> None:
    consume = consumer()
    segment, _job = await traders(uows, consume, [portrait(1, 1, trades=1)])

    batch = uows()
    await consume(portrait(1, 2, trades=0), batch)  # in flight: C0001 stops trading

    await a_page_waits_for(batch, uows)
    async with uows() as uow:
        assert await memberships.count(uow.session, segment.id) == 0


async def test_back_fill_lanes_run_side_by_side_and_each_waits_for_a_batch_in_flight(
    uows: UnitOfWorkFactory,
) -> None:
    consume = consumer()
    segment, job = await traders(uows, consume, [portrait(n, 1, trades=n % 2) for n in range(40)])

    in_flight = uows()  # a page of the other lane, holding what a page holds
    await CatalogCache().current(in_flight, lock="page")
    assert await asyncio.wait_for(backfill_page(uows), timeout=10), "lanes must not wait"
    batch = uows()
    waiting = asyncio.ensure_future(consume(portrait(1, 2, trades=0), batch))
    await asyncio.sleep(0.5)
    assert not waiting.done(), "a batch read portraits while a page was evaluating them"
    await in_flight.__aexit__(None, None, None)
    await asyncio.wait_for(waiting, timeout=10)
    await a_page_waits_for(batch, uows)

    async with uows() as uow:
        lanes = (
            await uow.session.execute(
                select(
                    BackfillLaneRow.lane, BackfillLaneRow.upper_client_id, BackfillLaneRow.status
                )
                .where(BackfillLaneRow.backfill_id == job.id)
                .order_by(BackfillLaneRow.lane)
            )
        ).all()
        assert lanes == [(0, "C0019", "done"), (1, None, "done")]
        done = (
            await uow.session.execute(
                select(BackfillRow.status, BackfillRow.done, BackfillRow.entered).where(
                    BackfillRow.id == job.id
                )
            )
        ).one()
        # every odd client entered; C0001 (lane 0, worked first) then left with the batch
        assert tuple(done) == ("done", 40, 20)
        members = await memberships.page(uow.session, segment.id, after=None, limit=100)
        expected = [f"C{n:04d}" for n in range(3, 40, 2)]
        assert [m.client_id for m in members] == expected
