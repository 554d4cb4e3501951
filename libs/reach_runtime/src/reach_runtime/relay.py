"""The outbox relay: publish committed outbox rows to Kafka in order, then delete them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter

from aiokafka import AIOKafkaProducer
from sqlalchemy import ARRAY, BigInteger, ColumnElement, any_, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reach_runtime import metrics
from reach_runtime.consumer import is_transient
from reach_runtime.db import outbox
from reach_runtime.settings import ServiceSettings

log = logging.getLogger(__name__)

COUNT_EVERY_S = 2.0  # how often a draining backlog is counted for `reach_outbox_pending`


class OutboxRelay:
    """At-least-once from the outbox to Kafka; consumers de-duplicate by event id."""

    def __init__(
        self, *, settings: ServiceSettings, sessions: async_sessionmaker, producer: AIOKafkaProducer
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self.producer = producer
        self._wake = asyncio.Event()
        self._pending = 0  # outbox rows left at the last count, less those sent since
        self._counted_at = float("-inf")

    def wake(self) -> None:
        """Called after a commit that wrote outbox rows, so they go out without waiting for a poll."""
        self._wake.set()

    async def run(self) -> None:
        """Relay until cancelled."""
        interval = self._settings.relay_poll_interval_ms / 1000
        while True:
            try:
                sent = await self.relay_once()
            except Exception as error:
                if not is_transient(error):
                    raise
                log.warning(
                    "outbox relay failed, retrying", extra={"fields": {"error": repr(error)}}
                )
                await asyncio.sleep(1)
                continue
            if sent < self._settings.relay_batch_size:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=interval)
                except TimeoutError:
                    pass

    async def relay_once(self) -> int:
        """Publish one batch of rows; returns how many were published."""
        async with self._sessions() as session, session.begin():
            query = select(outbox).order_by(outbox.c.id).limit(self._settings.relay_batch_size)
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update()  # a second relay waits instead of reordering
            rows = (await session.execute(query)).all()
            if not rows:
                self._pending = 0
                metrics.outbox_pending.labels(self._settings.service_name).set(0)
                return 0
            deliveries = [
                await self.producer.send(
                    self._settings.topic(row.topic),
                    value=row.value,
                    key=row.key.encode() if row.key is not None else None,
                    headers=[(k, v.encode()) for k, v in row.headers],
                )
                for row in rows
            ]
            for delivery in deliveries:  # every one is in the producer's batches already
                await delivery
            await session.execute(delete(outbox).where(_among(session, [r.id for r in rows])))
            for topic, sent in Counter(row.topic for row in rows).items():
                metrics.relayed.labels(self._settings.service_name, topic).inc(sent)
            if len(rows) < self._settings.relay_batch_size:
                self._pending = 0  # a partial batch took every row there was when it looked
            elif time.monotonic() - self._counted_at >= COUNT_EVERY_S:
                # More may wait. Counting a long outbox is a scan, so while a backlog drains
                # (a back-fill announcing 300k moves) it is counted now and then, not per batch.
                self._pending = await session.scalar(select(func.count()).select_from(outbox)) or 0
                self._counted_at = time.monotonic()
            else:
                self._pending = max(self._pending - len(rows), 0)
        metrics.outbox_pending.labels(self._settings.service_name).set(self._pending)
        return len(rows)


def _among(session: AsyncSession, ids: list[int]) -> ColumnElement[bool]:
    """`id IN ids`; on PostgreSQL one array parameter rather than one parameter per id."""
    if session.get_bind().dialect.name == "postgresql":
        return outbox.c.id == any_(bindparam("ids", ids, type_=ARRAY(BigInteger)))
    return outbox.c.id.in_(ids)
