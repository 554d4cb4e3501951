"""The outbox relay through a real broker: a backlog goes out in order, and the pending gauge
follows it without counting the outbox after every batch (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from aiokafka.errors import MessageSizeTooLargeError
from prometheus_client import REGISTRY
from reach_runtime import relay as relay_module
from reach_runtime.db import outbox
from reach_runtime.kafka import ensure_topics, new_producer
from reach_runtime.relay import OutboxRelay
from reach_runtime.settings import ServiceSettings
from reach_runtime.stack import Broker
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import async_sessionmaker

pytestmark = pytest.mark.kafka
TOPIC = "reach.segment-memberships.v1"


def outbox_rows(*values: bytes) -> list[dict]:
    """Outbox rows of one client's events on TOPIC, in the order given."""
    now = datetime.now(UTC)
    return [
        {"topic": TOPIC, "key": "C1", "value": v, "headers": [], "created_at": now} for v in values
    ]


async def test_a_backlog_goes_out_in_order_and_the_pending_gauge_follows_it(
    runtime_sessions: async_sessionmaker,
    broker: Broker,
    broker_settings: Callable[..., ServiceSettings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = broker_settings(service_name="relay-test", relay_batch_size=100)
    await ensure_topics(broker.bootstrap, [broker.prefix + TOPIC], partitions=1)
    async with runtime_sessions() as session, session.begin():
        await session.execute(insert(outbox), outbox_rows(*(str(n).encode() for n in range(250))))
    producer = new_producer(settings)
    await producer.start()
    relay = OutboxRelay(settings=settings, sessions=runtime_sessions, producer=producer)

    def pending() -> float | None:
        return REGISTRY.get_sample_value("reach_outbox_pending", {"service": "relay-test"})

    try:
        assert await relay.relay_once() == 100
        assert pending() == 150  # counted: the first full batch of a backlog
        monkeypatch.setattr(relay_module, "COUNT_EVERY_S", 3600.0)  # no count due from now on
        async with (
            runtime_sessions() as session,
            session.begin(),
        ):  # arrives meanwhile, not counted yet
            await session.execute(insert(outbox), outbox_rows(b"250"))
        assert await relay.relay_once() == 100
        assert pending() == 50  # the last count less what was sent since
        assert await relay.relay_once() == 51  # a partial batch: nothing was left
        assert pending() == 0
        assert await relay.relay_once() == 0
    finally:
        await producer.stop()
    async with runtime_sessions() as session:
        assert await session.scalar(select(func.count()).select_from(outbox)) == 0

    records = await broker.read(TOPIC, until=lambda r: len(r) >= 251)
    assert [int(r.value) for r in records] == list(range(251))


async def test_a_batch_kafka_refuses_stays_in_the_outbox(
    runtime_sessions: async_sessionmaker,
    broker: Broker,
    broker_settings: Callable[..., ServiceSettings],
) -> None:
    """The relay deletes a batch as it takes it; the deletion must not outlive a failed send."""
    settings = broker_settings(service_name="relay-refused")
    await ensure_topics(broker.bootstrap, [broker.prefix + TOPIC], partitions=1)
    values = [b"first", b"x" * 2_000_000, b"third"]  # the middle one is over the request limit
    async with runtime_sessions() as session, session.begin():
        await session.execute(insert(outbox), outbox_rows(*values))
    producer = new_producer(settings)
    await producer.start()
    relay = OutboxRelay(settings=settings, sessions=runtime_sessions, producer=producer)
    try:
        with pytest.raises(MessageSizeTooLargeError):
            await relay.relay_once()
    finally:
        await producer.stop()
    async with runtime_sessions() as session:
        kept = (await session.scalars(select(outbox.c.value).order_by(outbox.c.id))).all()
    assert kept == values
