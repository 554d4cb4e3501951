"""Every service's migrations build its tables from zero, match its models, and undo cleanly."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from reach_analytics.bootstrap import bootstrap as analytics
from reach_campaign.bootstrap import bootstrap as campaign
from reach_notifier.bootstrap import bootstrap as notifier
from reach_profile.bootstrap import bootstrap as profile
from reach_runtime import migrations
from reach_runtime.db import create_engine, runtime_metadata
from reach_segmenter.bootstrap import bootstrap as segmenter
from sqlalchemy import inspect

SERVICES = {
    "profile": profile,
    "segmenter": segmenter,
    "campaign": campaign,
    "notifier": notifier,
    "analytics": analytics,
}


async def _state(url: str, metadata) -> tuple[set[str], list]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:

            def read(sync):
                tables = set(inspect(sync).get_table_names())
                diff = compare_metadata(
                    MigrationContext.configure(sync), [metadata, runtime_metadata]
                )
                return tables, diff

            return await connection.run_sync(read)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_from_zero_match_the_models_and_downgrade_to_nothing(
    service: str, database_url: str
) -> None:
    definition = SERVICES[service]()
    args = (definition.migrations, definition.metadata, database_url)

    await asyncio.to_thread(migrations.upgrade, *args)
    tables, diff = await _state(database_url, definition.metadata)
    expected = set(definition.metadata.tables) | set(runtime_metadata.tables)
    assert expected <= tables
    assert diff == [], f"models and migrations differ: {diff}"

    await asyncio.to_thread(migrations.downgrade, *args, "base")
    tables, _ = await _state(database_url, definition.metadata)
    assert tables <= {"alembic_version"}
