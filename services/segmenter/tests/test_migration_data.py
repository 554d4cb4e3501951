"""The second migration keeps existing data usable: segments get version 1, stored portraits
stay readable and are selected by the SQL evaluator as before."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from reach_runtime import migrations
from reach_runtime.db import create_engine
from reach_segmenter.adapters.rule_sql import rule_clause
from reach_segmenter.bootstrap import bootstrap
from reach_segmenter.db.tables import PortraitRow, SegmentVersionRow
from reach_segmenter.domain.segment import parse_rule
from reach_segmenter.settings import SegmenterSettings
from sqlalchemy import select, text

INITIAL = "5b8de5902858"


async def test_existing_segments_and_portraits_survive_the_upgrade(database_url: str) -> None:
    definition = bootstrap(SegmenterSettings(database_url=database_url))
    args = (definition.migrations, definition.metadata, database_url)
    await asyncio.to_thread(migrations.upgrade, *args, f"segmenter@{INITIAL}")
    await asyncio.to_thread(migrations.upgrade, *args, "runtime@head")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO segments (id, name, description, rule, time_relative, created_at) "
                    "VALUES ('S1', 'recent', '', :rule, true, :at)"
                ),
                {
                    "rule": '{"field": "last_login_at", "op": "within", "value": "1d"}',
                    "at": datetime(2026, 11, 1, tzinfo=UTC),
                },
            )
            await connection.execute(
                text("INSERT INTO portraits (client_id, version, fields) VALUES ('C1', 3, :f)"),
                {
                    "f": '{"version": 3, "as_of": "2026-11-23T09:00:00+08:00", "last_login_at": "2026-11-23T09:00:00+08:00"}'
                },
            )
        await asyncio.to_thread(migrations.upgrade, *args)
        async with engine.connect() as connection:
            versions = (
                await connection.execute(
                    select(SegmentVersionRow.segment_id, SegmentVersionRow.version)
                )
            ).all()
            assert versions == [("S1", 1)]
            rule = parse_rule({"field": "last_login_at", "op": "within", "value": "1h"})
            # 09:00 Beijing is 01:00 UTC: within an hour of 01:30 UTC, not of 02:30 UTC
            for now, expected in [
                ("2026-11-23T01:30:00+00:00", ["C1"]),
                ("2026-11-23T02:30:00+00:00", []),
            ]:
                clause = rule_clause(
                    rule,
                    dialect=engine.dialect.name,
                    now=datetime.fromisoformat(now),
                    segment_ids={},
                )
                found = list(await connection.scalars(select(PortraitRow.client_id).where(clause)))
                assert found == expected, now
    finally:
        await engine.dispose()


async def test_portraits_are_compressed_with_lz4_on_postgresql(postgres_url: str) -> None:
    """A back-fill's scan is mostly decompressing portraits; lz4 makes that twice as fast."""
    definition = bootstrap(SegmenterSettings(database_url=postgres_url))
    await asyncio.to_thread(
        migrations.upgrade, definition.migrations, definition.metadata, postgres_url
    )
    engine = create_engine(postgres_url)
    fields = {"version": 1, "as_of": "2026-11-23T01:00:00+00:00", "total_assets": "20000"}
    fields |= {f"note_{i}": "a long enough portrait to be compressed " * 3 for i in range(40)}
    try:
        async with engine.begin() as connection:
            await connection.execute(
                PortraitRow.__table__.insert(), {"client_id": "C1", "version": 1, "fields": fields}
            )
        async with engine.connect() as connection:
            method = await connection.scalar(
                text("SELECT pg_column_compression(fields) FROM portraits")
            )
            assert method == "lz4"
            rule = parse_rule({"field": "total_assets", "op": "gte", "value": 10000})
            clause = rule_clause(rule, dialect="postgresql", now=datetime.now(UTC), segment_ids={})
            found = list(await connection.scalars(select(PortraitRow.client_id).where(clause)))
            assert found == ["C1"]
    finally:
        await engine.dispose()


async def test_a_back_fill_running_at_the_upgrade_goes_on_as_one_lane_from_where_it_was(
    database_url: str,
) -> None:
    definition = bootstrap(SegmenterSettings(database_url=database_url))
    args = (definition.migrations, definition.metadata, database_url)
    await asyncio.to_thread(migrations.upgrade, *args, "segmenter@9d41c7e2a5f0")
    await asyncio.to_thread(migrations.upgrade, *args, "runtime@head")
    engine = create_engine(database_url)
    at = datetime(2026, 11, 1, tzinfo=UTC)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO segments (id, name, description, rule, time_relative, created_at)"
                    " VALUES ('S1', 'traders', '', '{}', false, :at)"
                ),
                {"at": at},
            )
            for job, status in (("J1", "superseded"), ("J2", "running")):
                await connection.execute(
                    text(
                        "INSERT INTO backfills (id, segment_id, number, segment_version, reason,"
                        " status, total, done, entered, exited, after_client_id, started_at,"
                        " updated_at) VALUES (:id, 'S1', :n, 1, 'create', :status, 10, 4, 2, 0,"
                        " 'C0004', :at, :at)"
                    ),
                    {"id": job, "n": int(job[1]), "status": status, "at": at},
                )
        await asyncio.to_thread(migrations.upgrade, *args)
        async with engine.connect() as connection:
            lanes = (
                await connection.execute(
                    text(
                        "SELECT backfill_id, lane, after_client_id, upper_client_id, status"
                        " FROM backfill_lanes"
                    )
                )
            ).all()
        assert lanes == [("J2", 0, "C0004", None, "running")]
    finally:
        await engine.dispose()
