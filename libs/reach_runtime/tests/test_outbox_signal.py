"""Deployed as separate roles (api, consume, relay), a process that commits events has no relay
of its own: it tells the relay process through PostgreSQL (LISTEN/NOTIFY), so the events go out
at once rather than at the relay's next poll, also after the database ended the listener's
connection."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from reach_runtime.db import outbox
from reach_runtime.kafka import ensure_topics
from reach_runtime.service import Runtime
from reach_runtime.stack import Broker
from reach_runtime.testing import end_other_connections, eventually
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
TOPIC = "reach.segment-memberships.v1"
POLL_MS = 60_000  # the relay's idle poll: far longer than any wait below


async def commit_event(writer: Runtime, value: bytes) -> None:
    async with writer.uows() as uow:
        uow.emit_raw(TOPIC, key="C1", value=value)
        await uow.commit()


async def outbox_empty(sessions: async_sessionmaker) -> bool:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(outbox)) == 0


async def test_a_commit_without_a_relay_in_its_process_wakes_the_relay_of_another(
    postgres_url: str,
    postgres_runtime_sessions: async_sessionmaker,  # the runtime's tables on postgres_url
    postgres_runtime: Callable[..., Runtime],
    broker: Broker,
) -> None:
    await ensure_topics(broker.bootstrap, [broker.prefix + TOPIC], partitions=1)
    relaying = postgres_runtime("signal-relay", relay_poll_interval_ms=POLL_MS)
    writing = postgres_runtime("signal-api", relay_poll_interval_ms=POLL_MS)
    await relaying.start(["relay"])
    await writing.start(["api"])
    try:
        await commit_event(writing, b"first")
        first = await broker.read(TOPIC, until=lambda r: len(r) >= 1, timeout_s=15)
        assert [r.value for r in first] == [b"first"]
        # the relay deletes what Kafka acknowledged and commits: a failover before that would
        # send "first" again (at least once), which is not what this test is about
        assert await eventually(lambda: outbox_empty(postgres_runtime_sessions), timeout_s=15)

        # a failover ends every connection, the listener's too; it listens again (after 5 s)
        assert await end_other_connections(postgres_url) >= 1
        await commit_event(writing, b"second")
        both = await broker.read(TOPIC, until=lambda r: len(r) >= 2, timeout_s=25)
        assert [r.value for r in both] == [b"first", b"second"]
    finally:
        await writing.stop()
        await relaying.stop()
