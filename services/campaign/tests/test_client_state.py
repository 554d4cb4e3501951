"""What campaign keeps of each client (adapters/clients.py), on SQLite and PostgreSQL: moves,
portrait versions and activity changed in memory during a batch land in the tables at commit as
if applied one by one, an older portrait never overwrites a newer one, and a batch's clients
are read in a few queries, after which the handlers' reads cost none."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import reach_campaign
from reach_campaign.adapters.clients import ClientState
from reach_campaign.db.tables import ClientActivityRow, ClientPortraitRow, SegmentMembershipRow
from reach_campaign.db.tables import metadata as campaign_metadata
from reach_runtime.clock import ManualClock
from reach_runtime.testing import selects, units_of_work
from reach_runtime.uow import UnitOfWorkFactory
from sqlalchemy import select

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
VERSIONS = Path(reach_campaign.__file__).parent / "db" / "versions"


def migrated(url: str) -> contextlib.AbstractAsyncContextManager[UnitOfWorkFactory]:
    return units_of_work(VERSIONS, campaign_metadata, url, clock=ManualClock(T0))


@pytest.fixture
async def uows(database_url: str) -> AsyncIterator[UnitOfWorkFactory]:
    async with migrated(database_url) as factory:
        yield factory


async def members(uows: UnitOfWorkFactory) -> dict[tuple[str, str], datetime]:
    async with uows() as uow:
        rows = await uow.session.scalars(select(SegmentMembershipRow))
        return {(r.segment_id, r.client_id): r.entered_at for r in rows}


async def test_moves_within_one_batch_land_as_if_written_one_by_one(uows):
    async with uows() as uow:
        state = ClientState.of(uow)
        await state.moved("C1", "OLD", entered_at=T0)
        await state.moved("C1", "KEEP", entered_at=T0)
        await uow.commit()

    later = T0 + timedelta(minutes=5)
    async with uows() as uow:
        state = ClientState.of(uow)
        await state.moved("C1", "OLD", entered_at=None)  # out
        await state.moved("C1", "KEEP", entered_at=later)  # already in: entry time stays
        await state.moved("C1", "BACK", entered_at=later)  # in, out, in again
        await state.moved("C1", "BACK", entered_at=None)
        await state.moved("C1", "BACK", entered_at=later + timedelta(seconds=1))
        await state.moved("C1", "GONE", entered_at=later)  # in, then out
        await state.moved("C1", "GONE", entered_at=None)
        assert await state.in_segment("C1", "BACK") and not await state.in_segment("C1", "OLD")
        await uow.commit()

    assert await members(uows) == {
        ("KEEP", "C1"): T0,
        ("BACK", "C1"): later + timedelta(seconds=1),
    }

    async with uows() as uow:  # out and back in within one batch: the entry time is the new one
        state = ClientState.of(uow)
        await state.moved("C1", "KEEP", entered_at=None)
        await state.moved("C1", "KEEP", entered_at=later)
        await uow.commit()
    assert (await members(uows))[("KEEP", "C1")] == later


async def test_an_older_portrait_never_replaces_a_newer_one(uows):
    async with uows() as uow:
        assert await ClientState.of(uow).save_portrait("C1", 2, {"risk_level": "C3"})
        await uow.commit()

    async with uows() as uow:
        state = ClientState.of(uow)
        assert not await state.save_portrait("C1", 1, {"risk_level": "C1"})  # late event
        assert await state.portrait("C1") == {"risk_level": "C3"}
        await uow.commit()

    async with uows() as uow:
        stored = await uow.session.get(ClientPortraitRow, "C1")
        assert stored is not None and (stored.version, stored.fields) == (2, {"risk_level": "C3"})


async def test_a_replica_that_read_an_older_portrait_does_not_overwrite_a_newer_one(postgres_url):
    """Two replicas during a rebalance: one read version 2 and saves 3 after the other stored 5
    (concurrent writers exist on PostgreSQL only; SQLite takes one writer at a time)."""
    async with migrated(postgres_url) as uows:
        async with uows() as uow:
            await ClientState.of(uow).save_portrait("C1", 2, {"risk_level": "C3"})
            await uow.commit()

        async with uows() as slow:
            assert await ClientState.of(slow).portrait("C1") == {"risk_level": "C3"}
            async with uows() as fast:
                await ClientState.of(fast).save_portrait("C1", 5, {"risk_level": "C5"})
                await fast.commit()
            assert await ClientState.of(slow).save_portrait("C1", 3, {"risk_level": "C4"})
            await slow.commit()

        async with uows() as uow:
            stored = await uow.session.get(ClientPortraitRow, "C1")
            assert stored is not None
            assert (stored.version, stored.fields) == (5, {"risk_level": "C5"})


async def test_activity_counts_and_reports_what_came_before(uows):
    t1, t2 = T0 + timedelta(days=1), T0 + timedelta(days=2)
    async with uows() as uow:
        state = ClientState.of(uow)
        assert await state.did("C1", "trade.executed", t1) is None  # first ever
        before = await state.did("C1", "trade.executed", T0)  # late, earlier event
        assert before is not None and (before.count, before.last_at) == (1, t1)
        await uow.commit()

    async with uows() as uow:
        before = await ClientState.of(uow).did("C1", "trade.executed", t2)
        assert before is not None and (before.first_at, before.last_at, before.count) == (T0, t1, 2)
        await uow.commit()

    async with uows() as uow:
        row = await uow.session.get(ClientActivityRow, ("C1", "trade.executed"))
        assert row is not None and (row.first_at, row.last_at, row.count) == (T0, t2, 3)


async def test_a_batch_of_clients_is_read_in_a_few_queries_and_then_costs_none(uows):
    async with uows() as uow:
        state = ClientState.of(uow)
        for n in range(0, 1200, 2):  # half the clients have something stored
            await state.save_portrait(f"C{n:04}", 1, {"n": n})
            await state.moved(f"C{n:04}", "S1", entered_at=T0)
            await state.did(f"C{n:04}", "login.succeeded", T0)
        await uow.commit()

    async with uows() as uow:
        with selects(uow) as statements:
            state = ClientState.of(uow)
            clients = {f"C{n:04}" for n in range(1200)}
            await state.load(clients)
            loaded = len(statements)
            for client_id in sorted(clients):
                await state.portrait(client_id)
                await state.in_segment(client_id, "S1")
                await state.activity(client_id, "login.succeeded")
            reads = len(statements) - loaded

    assert loaded == 12  # four tables, 500 clients per query
    assert reads == 0  # also for the 600 clients with nothing stored
