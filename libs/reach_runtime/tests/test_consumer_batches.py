"""The batch consumer through a real broker: what reaches the broker while a batch is handled
goes into the next batch, not the one after it (SQLite and PostgreSQL); and a service's consumer,
which takes its connections unchecked (no ping before each batch), retries a batch whose
connection the database ended on a new one, losing and doubling nothing (PostgreSQL)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from reach_contracts import Event, WechatFollowed, WechatFollowedPayload
from reach_runtime.clock import SystemClock
from reach_runtime.consumer import BatchConsumer
from reach_runtime.db import dead_letters
from reach_runtime.kafka import ensure_topics
from reach_runtime.service import Runtime
from reach_runtime.settings import ServiceSettings
from reach_runtime.stack import Broker
from reach_runtime.testing import end_other_connections, eventually
from reach_runtime.uow import UnitOfWork, UnitOfWorkFactory
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

pytestmark = pytest.mark.kafka
TOPIC = "engagement.events.v1"


def followed(event_id: str) -> WechatFollowed:
    return WechatFollowed(
        event_id=event_id,
        occurred_at=datetime.now(UTC),
        client_id="C00000001",
        payload=WechatFollowedPayload(),
    )


async def test_what_arrives_during_a_batch_is_handled_in_the_next_batch(
    runtime_sessions: async_sessionmaker,
    broker: Broker,
    broker_settings: Callable[..., ServiceSettings],
) -> None:
    await ensure_topics(broker.bootstrap, [broker.prefix + TOPIC], partitions=1)
    release = asyncio.Event()
    first_started = asyncio.Event()
    handled: list[tuple[UnitOfWork, str]] = []

    async def on_followed(event: Event, uow: UnitOfWork) -> None:
        handled.append((uow, event.event_id))
        if event.event_id == "first":
            first_started.set()
            await release.wait()  # a slow batch: the next events reach the broker meanwhile

    settings = broker_settings(
        service_name="consumer-test",
        # Generous, so a slow machine does not decide the outcome: "third" is on the broker, so
        # the top-up's fetch returns as soon as the broker answers.
        consumer_top_up_ms=2_000,
    )
    consumer = BatchConsumer(
        settings=settings,
        subscriptions={TOPIC: {"wechat.followed": on_followed}},
        uow_factory=UnitOfWorkFactory(runtime_sessions, clock=SystemClock()),
    )
    running = asyncio.create_task(consumer.run())
    try:
        await broker.publish(TOPIC, followed("first"))
        await asyncio.wait_for(first_started.wait(), timeout=30)
        # Taking "first" made the client fetch again: "second" comes back in that fetch and
        # waits in the client's buffer, which keeps the client from fetching "third".
        await broker.publish(TOPIC, followed("second"))
        await asyncio.sleep(1.0)
        await broker.publish(TOPIC, followed("third"))
        await asyncio.sleep(0.5)
        release.set()
        assert await eventually(lambda: len(handled) == 3, timeout_s=30)
    finally:
        consumer.stop()
        release.set()
        await asyncio.wait_for(running, timeout=30)

    batches: list[list[str]] = []
    for index, (uow, event_id) in enumerate(handled):
        if index and uow is handled[index - 1][0]:
            batches[-1].append(event_id)
        else:
            batches.append([event_id])
    assert batches == [["first"], ["second", "third"]]


@pytest.mark.postgres
async def test_a_batch_on_a_connection_the_database_ended_is_retried_on_a_new_one(
    postgres_url: str,
    postgres_runtime_sessions: async_sessionmaker,  # the runtime's tables on postgres_url
    postgres_runtime: Callable[..., Runtime],
    broker: Broker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await ensure_topics(broker.bootstrap, [broker.prefix + TOPIC], partitions=1)
    runtime = postgres_runtime("reconnect-test")
    handled: list[str] = []

    async def on_followed(event: Event, uow: UnitOfWork) -> None:
        handled.append(event.event_id)

    consumer = BatchConsumer(
        settings=runtime.settings,
        subscriptions={TOPIC: {"wechat.followed": on_followed}},
        uow_factory=runtime.stream_uows,  # what the service's consumer runs on
        transient_backoff_s=0.1,
    )
    running = asyncio.create_task(consumer.run())
    try:
        await broker.publish(TOPIC, followed("before"))
        assert await eventually(lambda: handled == ["before"], timeout_s=30)
        assert await end_other_connections(postgres_url) >= 1  # the consumer's pooled one
        with caplog.at_level(logging.WARNING, logger="reach_runtime.consumer"):
            await broker.publish(TOPIC, followed("after"))
            assert await eventually(lambda: handled[-1:] == ["after"], timeout_s=30)
    finally:
        consumer.stop()
        await asyncio.wait_for(running, timeout=30)
        await runtime.close_databases()
    async with postgres_runtime_sessions() as session:
        parked = await session.scalar(select(func.count()).select_from(dead_letters))
    # The batch found its connection dead (no check before use), and was retried, not parked.
    assert "transient failure, retrying batch" in caplog.messages
    assert handled == ["before", "after"] and parked == 0
