"""The batch consumer: handle a poll's records in one transaction, then commit their offsets."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from opentelemetry import trace
from reach_contracts import ContractError, Event, UnknownEventType, decode
from sqlalchemy.exc import DBAPIError, OperationalError

from reach_runtime import metrics
from reach_runtime.dead_letters import SourceMessage, park
from reach_runtime.settings import ServiceSettings
from reach_runtime.telemetry import context_from_headers, tracer
from reach_runtime.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

Handler = Callable[[Event, UnitOfWork], Awaitable[None]]
# logical topic -> event_type -> handler; event types without a handler are skipped.
Subscriptions = Mapping[str, Mapping[str, Handler]]
# Called once per batch with its fresh events, before they are handled: load in one query
# what the handlers will read one event at a time.
Preload = Callable[[list[Event], UnitOfWork], Awaitable[None]]

# aiokafka fetches a partition again only once its buffered records were taken, so a poll that
# returns at once hands over records fetched while the previous batch was handled, and the ones
# that reached the broker since then wait a whole batch more. Such a poll is topped up with one
# more fetch, bounded by `consumer_top_up_ms` (a fetch with data comes back in about 1 ms).
# A poll that returned sooner than this did not wait for a fetch: its records had been buffered.
BUFFERED_S = 0.001

TRANSIENT = (OperationalError, OSError, asyncio.TimeoutError, KafkaError)


# SQLSTATE classes of a database that is away, not of a statement that is wrong: 08
# connection exceptions, 57P operator intervention (shutting down, starting up, admin shutdown).
_AWAY_SQLSTATES = ("08", "57P")


def is_transient(error: BaseException) -> bool:
    """Infrastructure trouble (retry until it passes) as opposed to a message that cannot be handled."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, TRANSIENT):
        return True
    seen: BaseException | None = error
    for _ in range(5):  # the driver's error, under SQLAlchemy's and its adapter's
        if seen is None:
            break
        state = getattr(seen, "sqlstate", None) or getattr(seen, "pgcode", None)
        if isinstance(state, str) and state.startswith(_AWAY_SQLSTATES):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


@dataclass
class _Item:
    record: ConsumerRecord
    topic: str  # logical name
    event: Event | None
    error: str | None

    def source(self) -> SourceMessage:
        key = self.record.key.decode("utf-8", "replace") if self.record.key else None
        return SourceMessage(
            self.record.topic,
            self.record.partition,
            self.record.offset,
            key,
            self.record.value or b"",
        )


class BatchConsumer:
    """Consumes the subscribed topics in one group; offsets are committed only after the DB commit."""

    def __init__(
        self,
        *,
        settings: ServiceSettings,
        subscriptions: Subscriptions,
        uow_factory: UnitOfWorkFactory,
        preload: Preload | None = None,
        transient_backoff_s: float = 0.5,
    ) -> None:
        self._preload = preload
        self._settings = settings
        self._subscriptions = subscriptions
        self._uows = uow_factory
        self._group = settings.consumer_group
        self._logical = {settings.topic(t): t for t in subscriptions}
        self._backoff = transient_backoff_s
        self._top_up_ms = settings.consumer_top_up_ms
        self._service = settings.service_name
        self._stopping = False
        self.ready = asyncio.Event()
        self.lag: dict[TopicPartition, int] = {}

    @property
    def caught_up(self) -> bool:
        """Every assigned partition was read to its high-water mark at the last look."""
        return bool(self.lag) and not any(self.lag.values())

    def stop(self) -> None:
        """Finish the batch in hand, commit it, and return from `run`."""
        self._stopping = True

    async def run(self) -> None:
        """Consume until cancelled."""
        consumer = AIOKafkaConsumer(
            *self._logical,
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            group_id=self._group,
            client_id=f"reach-{self._service}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self._settings.consumer_max_records,
            fetch_max_wait_ms=self._settings.consumer_fetch_max_wait_ms,
            fetch_min_bytes=self._settings.consumer_fetch_min_bytes,
            isolation_level="read_committed",
        )
        await consumer.start()
        self.ready.set()
        # A batch's offsets are committed while the next batch is handled: the commit is a
        # round trip to the group coordinator that a change waiting in Kafka need not wait for.
        # The one before is awaited first, so commits stay in order and a failed one surfaces
        # (the inbox makes any redelivery harmless).
        committing: asyncio.Future[None] | None = None
        try:
            while not self._stopping:
                polled = time.perf_counter()
                batches = await consumer.getmany(
                    timeout_ms=500, max_records=self._settings.consumer_max_records
                )
                if batches:
                    if self._top_up_ms and time.perf_counter() - polled < BUFFERED_S:
                        batches = await self._top_up(consumer, batches)
                    await self.handle_batch(batches)
                    if committing is not None:
                        await committing
                    offsets = {tp: rs[-1].offset + 1 for tp, rs in batches.items()}
                    committing = asyncio.ensure_future(consumer.commit(offsets))
                await self._record_lag(consumer)
            if committing is not None:
                await committing
        finally:
            self.ready.clear()
            if committing is not None and not committing.done():
                with contextlib.suppress(Exception):
                    await committing
            await consumer.stop()

    async def _top_up(
        self, consumer: AIOKafkaConsumer, batches: dict[TopicPartition, list[ConsumerRecord]]
    ) -> dict[TopicPartition, list[ConsumerRecord]]:
        """`batches` and what one more fetch brings within `consumer_top_up_ms`, up to the
        batch size."""
        room = self._settings.consumer_max_records - sum(len(rs) for rs in batches.values())
        if room <= 0:
            return batches
        more = await consumer.getmany(timeout_ms=self._top_up_ms, max_records=room)
        for tp, records in more.items():
            batches.setdefault(tp, []).extend(records)
        return batches

    async def handle_batch(self, batches: Mapping[TopicPartition, list[ConsumerRecord]]) -> None:
        """One poll's records, from every partition it returned, in one transaction.

        One transaction per poll rather than per partition: a change does not wait behind the
        commits of the other partitions' batches, and a poll costs one commit however many
        partitions it spans. Order within each partition is kept; across partitions there is none
        to keep (a client's events share a partition)."""
        items = []
        for tp, records in batches.items():
            logical = self._logical[tp.topic]
            metrics.consumed.labels(self._service, logical).inc(len(records))
            items += [i for i in (self._decode(logical, r) for r in records) if i is not None]
        started = time.perf_counter()
        attempt = 0
        while True:
            try:
                await self._commit_items(items)
                break
            except Exception as error:
                if is_transient(error):
                    log.warning(
                        "transient failure, retrying batch",
                        extra={"fields": {"error": repr(error)}},
                    )
                    await asyncio.sleep(min(self._backoff * 2 ** min(attempt, 5), 10))
                    attempt += 1
                    continue
                attempt += 1
                if attempt >= self._settings.consumer_poison_retries:
                    await self._isolate_poison(items)
                    break
                await asyncio.sleep(self._backoff * attempt)
        metrics.batch_seconds.labels(self._service).observe(time.perf_counter() - started)

    def _decode(self, logical: str, record: ConsumerRecord) -> _Item | None:
        """The decoded event, or a bad one to park; None for a type newer than this reader."""
        try:
            return _Item(record, logical, decode(logical, record.value or b""), None)
        except UnknownEventType:
            metrics.skipped.labels(self._service, logical, "unknown_event_type").inc()
            return None
        except ContractError as error:
            return _Item(record, logical, None, error.reason)

    async def _commit_items(self, items: list[_Item]) -> None:
        """All items of a batch in one transaction: claim ids, handle fresh events, park bad ones."""
        async with self._uows() as uow:
            ids = [i.event.event_id for i in items if i.event is not None]
            fresh = await uow.claim(self._group, ids)
            if self._preload is not None and fresh:
                await self._preload(
                    [i.event for i in items if i.event and i.event.event_id in fresh], uow
                )
            for item in items:
                if item.event is None:
                    await self._park(uow, item, item.error or "undecodable")
                elif item.event.event_id in fresh:
                    fresh.discard(item.event.event_id)
                    await self._dispatch(uow, item)
                else:
                    metrics.duplicates.labels(self._service, item.topic).inc()
            await uow.commit()
        for item in items:
            if item.event is not None:
                metrics.processed.labels(self._service, item.topic, item.event.event_type).inc()

    async def _dispatch(self, uow: UnitOfWork, item: _Item) -> None:
        assert item.event is not None
        handler = self._subscriptions[item.topic].get(item.event.event_type)
        if handler is None:
            return
        parent = context_from_headers(item.record.headers)
        with tracer().start_as_current_span(
            f"{item.topic} process",
            context=parent,
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": item.record.topic,
                "messaging.kafka.destination.partition": item.record.partition,
                "messaging.kafka.message.offset": item.record.offset,
                "reach.event_id": item.event.event_id,
                "reach.event_type": item.event.event_type,
            },
        ):
            started = time.perf_counter()
            await handler(item.event, uow)
            metrics.handler_seconds.labels(self._service, item.topic).observe(
                time.perf_counter() - started
            )

    async def _park(self, uow: UnitOfWork, item: _Item, reason: str) -> None:
        log.warning(
            "dead-lettered",
            extra={
                "fields": {
                    "topic": item.record.topic,
                    "partition": item.record.partition,
                    "offset": item.record.offset,
                    "reason": reason,
                }
            },
        )
        await park(uow, consumer_group=self._group, message=item.source(), reason=reason)
        metrics.dead_lettered.labels(self._service, item.topic).inc()

    async def _isolate_poison(self, items: list[_Item]) -> None:
        """The batch keeps failing: handle each item alone and park the ones that fail."""
        for item in items:
            while True:
                try:
                    await self._commit_items([item])
                    break
                except Exception as error:
                    if is_transient(error):
                        await asyncio.sleep(self._backoff)
                        continue
                    async with self._uows() as uow:
                        await uow.claim(self._group, [item.event.event_id] if item.event else [])
                        await self._park(uow, item, f"handler failed: {error!r}")
                        await uow.commit()
                    break

    async def _record_lag(self, consumer: AIOKafkaConsumer) -> None:
        """Lag of each assigned partition; a partition a rebalance took away is forgotten, so
        neither `caught_up` nor `reach_consumer_lag` keeps reporting it."""
        assigned = consumer.assignment()
        for tp in [tp for tp in self.lag if tp not in assigned]:
            del self.lag[tp]
            with contextlib.suppress(KeyError):  # never reported
                metrics.consumer_lag.remove(
                    self._service, self._logical[tp.topic], str(tp.partition)
                )
        for tp in assigned:
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue
            position = await consumer.position(tp)
            self.lag[tp] = max(highwater - position, 0)
            metrics.consumer_lag.labels(
                self._service, self._logical[tp.topic], str(tp.partition)
            ).set(self.lag[tp])
