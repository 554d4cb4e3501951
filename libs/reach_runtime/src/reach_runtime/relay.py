"""The outbox relay: publish committed outbox rows to Kafka in order, then delete them."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaProducer
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from reach_runtime import metrics
from reach_runtime.consumer import is_transient
from reach_runtime.db import outbox
from reach_runtime.settings import ServiceSettings

log = logging.getLogger(__name__)


class OutboxRelay:
    """At-least-once from the outbox to Kafka; consumers de-duplicate by event id."""

    def __init__(
        self, *, settings: ServiceSettings, sessions: async_sessionmaker, producer: AIOKafkaProducer
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self.producer = producer
        self._wake = asyncio.Event()

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
            await asyncio.gather(*deliveries)
            await session.execute(delete(outbox).where(outbox.c.id.in_([r.id for r in rows])))
            for row in rows:
                metrics.relayed.labels(self._settings.service_name, row.topic).inc()
            remaining = 0  # a partial batch took every row there was when it looked
            if len(rows) == self._settings.relay_batch_size:  # more may wait: count them
                remaining = await session.scalar(select(func.count()).select_from(outbox)) or 0
        metrics.outbox_pending.labels(self._settings.service_name).set(remaining)
        return len(rows)
