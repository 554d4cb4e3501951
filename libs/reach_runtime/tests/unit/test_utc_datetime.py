"""UTCDateTime columns: instants stored in UTC and read back timezone-aware on SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from reach_runtime.db import UTCDateTime, create_engine, new_metadata
from sqlalchemy import Column, Integer, Table, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncConnection

BEIJING = timezone(timedelta(hours=8))
metadata = new_metadata()
moments = Table(
    "moments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime(), nullable=True),
)


@pytest.fixture
async def connection() -> AsyncIterator[AsyncConnection]:
    engine = create_engine("sqlite+aiosqlite://")
    async with engine.connect() as conn:
        await conn.run_sync(metadata.create_all)
        yield conn
    await engine.dispose()


async def store_and_read(conn: AsyncConnection, *values: datetime | None) -> list[datetime | None]:
    await conn.execute(insert(moments), [{"id": n, "at": v} for n, v in enumerate(values)])
    return list((await conn.execute(select(moments.c.at).order_by(moments.c.id))).scalars())


async def test_an_instant_with_an_offset_comes_back_as_the_same_instant_in_utc(
    connection: AsyncConnection,
) -> None:
    at = datetime(2026, 11, 23, 9, 31, 2, 123456, tzinfo=BEIJING)
    [back] = await store_and_read(connection, at)
    assert back == at
    assert back is not None and back.tzinfo == UTC
    assert back == datetime(2026, 11, 23, 1, 31, 2, 123456, tzinfo=UTC)


async def test_a_missing_instant_stays_missing(connection: AsyncConnection) -> None:
    assert await store_and_read(connection, None) == [None]


async def test_stored_instants_sort_by_time_whatever_offset_they_came_with(
    connection: AsyncConnection,
) -> None:
    later_utc = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    earlier_beijing = datetime(2026, 11, 23, 9, 0, tzinfo=BEIJING)  # 01:00 UTC
    await store_and_read(connection, later_utc, earlier_beijing)
    ordered = (await connection.execute(select(moments.c.at).order_by(moments.c.at))).scalars()
    assert list(ordered) == [earlier_beijing, later_utc]


async def test_a_naive_instant_is_refused(connection: AsyncConnection) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        await store_and_read(connection, datetime(2026, 11, 23, 9, 0))


def test_on_postgresql_the_offset_is_kept_and_results_are_turned_to_utc() -> None:
    column, dialect = UTCDateTime(), postgresql.dialect()
    at = datetime(2026, 11, 23, 9, 0, tzinfo=BEIJING)
    bound = column.process_bind_param(at, dialect)
    assert bound == at and bound is not None and bound.tzinfo == UTC
    read = column.process_result_value(at, dialect)
    assert read == at and read is not None and read.tzinfo == UTC
