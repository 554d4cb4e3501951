"""The unit of work: one transaction in which state, claimed event ids and emitted events commit together."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

from reach_contracts import Event, encode
from sqlalchemy import (
    ARRAY,
    JSON,
    DateTime,
    LargeBinary,
    String,
    Text,
    bindparam,
    cast,
    func,
    insert,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reach_runtime.clock import Clock
from reach_runtime.db import (
    UTCDateTime,
    inbox,
    insert_of,
    named_values_table,
    outbox,
    values_param,
)
from reach_runtime.telemetry import current_trace_headers

T = TypeVar("T")


class UnitOfWork:
    """Wraps one session; `emit` queues an event in the outbox, written at commit."""

    def __init__(
        self, session: AsyncSession, *, clock: Clock, on_commit: Callable[[], None] | None = None
    ) -> None:
        self.session = session
        self.clock = clock
        self._pending: list[_Emitted] = []
        self._emitted = False  # outbox rows written in this transaction
        self._on_commit = on_commit
        self.cache: dict[str, Any] = {}  # repositories keep what they loaded for this transaction
        self._before_commit: list[Callable[[], Awaitable[None]]] = []

    async def once(self, key: str, load: Callable[[], Awaitable[T]]) -> T:
        """`load()`'s result, asked once per unit of work under `key` (a switch, a parsed
        version: what the batch reads many times and cannot change under it)."""
        if key not in self.cache:
            self.cache[key] = await load()
        return self.cache[key]

    def before_commit(self, flush: Callable[[], Awaitable[None]]) -> None:
        """Await `flush` just before the commit (repositories write what they changed)."""
        self._before_commit.append(flush)

    async def __aenter__(self) -> UnitOfWork:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.session.rollback()
        await self.session.close()

    def emit(self, topic: str, event: Event) -> None:
        """Queue an event for `topic`, keyed by its client id, carrying the current trace."""
        self.emit_raw(topic, key=event.client_id, value=encode(event))

    def emit_all(
        self,
        topic: str,
        events: Iterable[Event],
        *,
        trace_headers: list[tuple[str, str]] | None = None,
    ) -> None:
        """`emit` for many events made in one step (a back-fill page): the trace and the
        time are read once for all of them. `trace_headers`, when given, are the trace the
        events belong to (captured when they were decided) instead of the current one."""
        self.emit_encoded(
            topic, ((e.client_id, encode(e)) for e in events), trace_headers=trace_headers
        )

    def emit_encoded(
        self,
        topic: str,
        messages: Iterable[tuple[str, bytes]],
        *,
        trace_headers: list[tuple[str, str]] | None = None,
    ) -> None:
        """`emit_all` for events already encoded, as (client id, bytes) (`encode_each`)."""
        trace = current_trace_headers() if trace_headers is None else trace_headers
        keys: list[str | None] = []
        values: list[bytes] = []
        for key, value in messages:
            keys.append(key)
            values.append(value)
        if keys:
            self._pending.append(_Emitted(topic, trace, self.clock.now(), keys, values))

    def emit_raw(
        self, topic: str, *, key: str | None, value: bytes, headers: list[tuple[str, str]] = ()
    ) -> None:
        trace = [*headers, *current_trace_headers()]
        self._pending.append(_Emitted(topic, trace, self.clock.now(), [key], [value]))

    async def claim(self, consumer_group: str, event_ids: list[str]) -> set[str]:
        """Record event ids as processed; returns the ones not seen before (first wins).

        One statement however many ids: the insert skips the ids already recorded, and a
        concurrent claim of the same id waits for the other transaction and then skips it."""
        if not event_ids:
            return set()
        dialect = self.session.get_bind().dialect.name
        parameters = {
            "consumer_group": consumer_group,
            "ids": values_param(dialect, list(dict.fromkeys(event_ids))),
            "now": self.clock.now(),
        }
        return set(await self.session.scalars(_claim(dialect), parameters))

    async def commit(self) -> None:
        for flush in self._before_commit:
            await flush()
        await self.write_emitted()
        await self.session.commit()
        emitted, self._emitted = self._emitted, False
        if emitted and self._on_commit:
            self._on_commit()

    async def write_emitted(self) -> None:
        """Write the events emitted so far to the outbox now rather than at commit: a writer
        that takes a hot lock last (a back-fill lane's job row) then holds it only to commit."""
        if self._pending:
            await _write_outbox(self.session, self._pending)
            self._pending = []
            self._emitted = True


@dataclass(frozen=True)
class _Emitted:
    """Events emitted in one call: one topic, trace and time; keys and values side by side."""

    topic: str
    headers: list[tuple[str, str]]
    created_at: datetime
    keys: list[str | None]
    values: list[bytes]


@functools.cache
def _claim(dialect: str) -> Any:
    """Insert the ids not recorded yet, returning them; built once per database (building it
    per batch cost more than the statement, and left its parts for the garbage collector)."""
    ids = named_values_table(dialect, "ids")
    chosen = select(
        bindparam("consumer_group", type_=String()),
        ids.c.value,
        bindparam("now", type_=UTCDateTime()),
    ).where(true())  # SQLite reads ON CONFLICT after a bare SELECT as a join's ON
    return (
        insert_of(dialect)(inbox)
        .from_select(["consumer_group", "event_id", "processed_at"], chosen)
        .on_conflict_do_nothing()
        .returning(inbox.c.event_id)
    )


async def _write_outbox(session: AsyncSession, emitted: list[_Emitted]) -> None:
    """Insert outbox rows in the order emitted (the relay publishes in id order).

    On PostgreSQL the rows go as five array parameters of one statement: an executemany of a
    back-fill page's 3,500 events spent more in SQLAlchemy's per-row parameter handling (and
    a JSON encoding of the same headers per row) than the database spent inserting them.
    """
    if session.get_bind().dialect.name != "postgresql":
        rows = [
            {
                "topic": e.topic,
                "key": key,
                "value": value,
                "headers": [list(h) for h in e.headers],
                "created_at": e.created_at,
            }
            for e in emitted
            for key, value in zip(e.keys, e.values, strict=True)
        ]
        await session.execute(insert(outbox), rows)
        return
    topics: list[str] = []
    keys: list[str | None] = []
    values: list[bytes] = []
    headers: list[str] = []
    times: list[datetime] = []
    for e in emitted:  # a call's events share their topic, trace and time: repeat them
        count = len(e.keys)
        topics += [e.topic] * count
        keys += e.keys
        values += e.values
        headers += [json.dumps([list(h) for h in e.headers])] * count
        times += [e.created_at] * count
    await session.execute(
        _outbox_from_arrays(),
        {"topic": topics, "key": keys, "value": values, "headers": headers, "created_at": times},
    )


@functools.cache
def _outbox_from_arrays() -> Any:
    """Insert outbox rows from five array parameters; built once, as `_claim`."""
    columns = {
        "topic": bindparam("topic", type_=ARRAY(String)),
        "key": bindparam("key", type_=ARRAY(String)),
        "value": bindparam("value", type_=ARRAY(LargeBinary)),
        "headers": bindparam("headers", type_=ARRAY(Text)),
        "created_at": bindparam("created_at", type_=ARRAY(DateTime(timezone=True))),
    }
    arrays = (
        func.unnest(*columns.values()).table_valued(*columns).render_derived()
    )  # a function scan gives the elements in array order, so ids follow the rows' order
    chosen = select(*(cast(arrays.c[n], JSON) if n == "headers" else arrays.c[n] for n in columns))
    return insert(outbox).from_select(list(columns), chosen)


class UnitOfWorkFactory:
    """Makes units of work bound to one database and clock."""

    def __init__(
        self,
        sessions: async_sessionmaker,
        *,
        clock: Clock,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self.clock = clock
        self._on_commit = on_commit

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self._sessions(), clock=self.clock, on_commit=self._on_commit)
