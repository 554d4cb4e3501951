"""The unit of work: one transaction in which state, claimed event ids and emitted events commit together."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import Any, TypeVar

from reach_contracts import Event, encode
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reach_runtime.clock import Clock
from reach_runtime.db import inbox, outbox
from reach_runtime.telemetry import current_trace_headers

T = TypeVar("T")


class UnitOfWork:
    """Wraps one session; `emit` queues an event in the outbox, written at commit."""

    def __init__(
        self, session: AsyncSession, *, clock: Clock, on_commit: Callable[[], None] | None = None
    ) -> None:
        self.session = session
        self.clock = clock
        self._pending: list[dict[str, Any]] = []
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
        headers = [list(h) for h in trace]
        now = self.clock.now()
        self._pending += [
            {"topic": topic, "key": key, "value": value, "headers": headers, "created_at": now}
            for key, value in messages
        ]

    def emit_raw(
        self, topic: str, *, key: str | None, value: bytes, headers: list[tuple[str, str]] = ()
    ) -> None:
        self._pending.append(
            {
                "topic": topic,
                "key": key,
                "value": value,
                "headers": [list(h) for h in (*headers, *current_trace_headers())],
                "created_at": self.clock.now(),
            }
        )

    async def claim(self, consumer_group: str, event_ids: list[str]) -> set[str]:
        """Record event ids as processed; returns the ones not seen before (first wins)."""
        fresh = list(dict.fromkeys(event_ids))
        for start in range(0, len(fresh), 500):
            chunk = fresh[start : start + 500]
            seen = await self.session.scalars(
                select(inbox.c.event_id).where(
                    inbox.c.consumer_group == consumer_group, inbox.c.event_id.in_(chunk)
                )
            )
            known = set(seen)
            fresh = [e for e in fresh if e not in known]
        if fresh:
            now = self.clock.now()
            await self.session.execute(
                insert(inbox),
                [
                    {"consumer_group": consumer_group, "event_id": e, "processed_at": now}
                    for e in fresh
                ],
            )
        return set(fresh)

    async def commit(self) -> None:
        for flush in self._before_commit:
            await flush()
        if self._pending:
            await self.session.execute(insert(outbox), self._pending)
        await self.session.commit()
        emitted, self._pending = bool(self._pending), []
        if emitted and self._on_commit:
            self._on_commit()


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
