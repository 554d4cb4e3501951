"""A unit of work writes its events to the outbox at commit, in the order they were emitted,
with their keys, bytes and trace headers as given (PostgreSQL sends them as arrays in one
statement, SQLite row by row)."""

from __future__ import annotations

from datetime import UTC, datetime

from reach_runtime.clock import ManualClock
from reach_runtime.db import outbox
from reach_runtime.uow import UnitOfWork
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

AT = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


async def test_outbox_rows_keep_the_emitted_order_keys_bytes_and_headers(
    runtime_sessions: async_sessionmaker,
) -> None:
    trace = [("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    page = [(f"C{n:04d}", f'{{"n": {n}}}'.encode()) for n in range(2500)]
    async with UnitOfWork(runtime_sessions(), clock=ManualClock(AT)) as uow:
        uow.emit_raw("t.first", key=None, value=b"\x00\xff not json")
        uow.emit_encoded("t.page", page, trace_headers=trace)
        uow.emit_encoded("t.untraced", [("C9", b"{}")], trace_headers=[])
        await uow.commit()
    async with runtime_sessions() as session:
        rows = (await session.execute(select(outbox).order_by(outbox.c.id))).all()
    assert len(rows) == 2502
    assert (rows[0].topic, rows[0].key, rows[0].value) == ("t.first", None, b"\x00\xff not json")
    assert [(r.key, r.value) for r in rows[1:2501]] == page
    assert {r.topic for r in rows[1:2501]} == {"t.page"}
    assert rows[1].headers == [list(h) for h in trace] == rows[2500].headers
    assert (rows[2501].topic, rows[2501].headers) == ("t.untraced", [])
    assert {r.created_at for r in rows} == {AT}


async def test_events_written_before_the_commit_keep_their_order_and_wake_the_relay_once(
    runtime_sessions: async_sessionmaker,
) -> None:
    wakes: list[str] = []
    async with UnitOfWork(
        runtime_sessions(), clock=ManualClock(AT), on_commit=lambda: wakes.append("wake")
    ) as uow:
        uow.emit_raw("t", key="C1", value=b"1")
        await uow.write_emitted()
        uow.emit_raw("t", key="C1", value=b"2")
        await uow.commit()
    async with UnitOfWork(
        runtime_sessions(), clock=ManualClock(AT), on_commit=lambda: wakes.append("idle")
    ) as uow:
        await uow.write_emitted()  # nothing emitted: nothing written, nobody woken
        await uow.commit()
    async with runtime_sessions() as session:
        values = list(await session.scalars(select(outbox.c.value).order_by(outbox.c.id)))
    assert values == [b"1", b"2"]
    assert wakes == ["wake"]
