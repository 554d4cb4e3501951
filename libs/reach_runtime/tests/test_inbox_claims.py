"""A unit of work claims a batch's event ids in the inbox: it gets back the ones no earlier
transaction of its consumer group recorded, each once (SQLite and PostgreSQL). When two
transactions claim the same id, only the first to commit gets it (PostgreSQL; SQLite takes its
write lock at BEGIN, so claims there never overlap)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from reach_runtime.clock import ManualClock
from reach_runtime.db import inbox
from reach_runtime.uow import UnitOfWork
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

AT = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


async def claim(sessions: async_sessionmaker, group: str, ids: list[str]) -> set[str]:
    async with UnitOfWork(sessions(), clock=ManualClock(AT)) as uow:
        fresh = await uow.claim(group, ids)
        await uow.commit()
    return fresh


async def test_a_claim_returns_the_ids_its_group_has_not_seen_each_once(
    runtime_sessions: async_sessionmaker,
) -> None:
    first = [f"e{n}" for n in range(1200)]
    assert await claim(runtime_sessions, "segmenter", first) == set(first)
    again = ["e5", "new-1", "e5", "new-1", "new-2", "e1199"]
    assert await claim(runtime_sessions, "segmenter", again) == {"new-1", "new-2"}
    assert await claim(runtime_sessions, "campaign", ["e5"]) == {"e5"}  # groups are apart
    assert await claim(runtime_sessions, "segmenter", []) == set()
    async with runtime_sessions() as session:
        rows = (await session.execute(select(inbox))).all()
    assert len(rows) == 1200 + 2 + 1
    assert {r.processed_at for r in rows} == {AT}


async def test_a_claim_rolled_back_leaves_the_ids_free(
    runtime_sessions: async_sessionmaker,
) -> None:
    async with UnitOfWork(runtime_sessions(), clock=ManualClock(AT)) as uow:
        assert await uow.claim("segmenter", ["e1"]) == {"e1"}  # no commit: the batch failed
    assert await claim(runtime_sessions, "segmenter", ["e1"]) == {"e1"}


@pytest.mark.postgres
async def test_of_two_concurrent_claims_of_an_id_only_the_first_to_commit_gets_it(
    postgres_runtime_sessions: async_sessionmaker,
) -> None:
    first = UnitOfWork(postgres_runtime_sessions(), clock=ManualClock(AT))
    second = UnitOfWork(postgres_runtime_sessions(), clock=ManualClock(AT))
    async with first, second:
        assert await first.claim("segmenter", ["e1", "e2"]) == {"e1", "e2"}
        waiting = asyncio.create_task(second.claim("segmenter", ["e2", "e3"]))
        await asyncio.sleep(0.3)
        assert not waiting.done()  # e2 is being claimed: the second waits for the first
        await first.commit()
        assert await waiting == {"e3"}
        await second.commit()
