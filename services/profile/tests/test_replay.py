"""Replaying the topics into an empty database rebuilds exactly the live portraits."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from reach_profile.bootstrap import bootstrap
from reach_profile.db.tables import PortraitRow
from reach_profile.settings import ProfileSettings
from reach_runtime import migrations
from reach_runtime.replay import replay
from reach_runtime.service import Runtime
from reach_runtime.stack import Broker
from reach_runtime.testing import eventually, running
from reach_sim.brokerage import Brokerage
from reach_sim.output import publish
from reach_sim.population import population
from sqlalchemy import select

pytestmark = pytest.mark.kafka


async def _portraits(runtime: Runtime) -> dict[str, tuple[int, dict, dict]]:
    async with runtime.sessions() as session:
        rows = await session.scalars(select(PortraitRow))
        return {r.client_id: (r.version, r.state, r.portrait) for r in rows}


async def test_a_replay_into_an_empty_database_equals_the_live_portraits(
    database_url: str, sqlite_url: str, broker: Broker
) -> None:
    clients = population(150, seed=21, start=date(2026, 11, 2), days=10)
    events = list(Brokerage(clients, seed=21, start=date(2026, 11, 2), days=10).history())
    await publish(events, bootstrap=broker.bootstrap, prefix=broker.prefix, progress=False)

    def settings(url: str) -> ProfileSettings:
        return ProfileSettings(
            database_url=url,
            kafka_bootstrap_servers=broker.bootstrap,
            kafka_topic_prefix=broker.prefix,
            relay_poll_interval_ms=50,
        )

    async with running(bootstrap(settings(database_url))) as (live, _client):

        async def caught_up() -> dict | None:
            portraits = await _portraits(live)
            return (
                portraits
                if len(portraits) == len({e.client_id for e in events}) and await _settled(live)
                else None
            )

        live_portraits = await eventually(caught_up, timeout_s=120)
        assert live_portraits, "live consumption did not finish"

    target = sqlite_url.replace("service.db", "replayed.db")
    definition = bootstrap(settings(target))
    await asyncio.to_thread(migrations.upgrade, definition.migrations, definition.metadata, target)
    rebuilt = Runtime(definition)
    try:
        assert await replay(rebuilt, progress=False) == len(events)
        replayed_portraits = await _portraits(rebuilt)
    finally:
        await rebuilt.close_databases()
    assert replayed_portraits == live_portraits


async def _settled(runtime: Runtime) -> bool:
    return runtime.consumer is not None and runtime.consumer.caught_up
