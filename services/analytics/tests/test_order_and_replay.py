"""Late and out-of-order events: results depend on the events' times, never on arrival order,
and folding the same events again, in another order and with repeats, gives the same numbers."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
from reach_analytics.adapters.counts import read_counts, recount
from reach_analytics.domain.uplift import GroupResult, newcombe
from reach_runtime import migrations
from reach_runtime.service import Runtime
from reach_runtime.testing import create_database, drop_database

from .folding import fold, results
from .scenario import HOLDOUT_A, TREATED_A, scenario


@pytest.fixture
async def second_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest):
    """Another empty database of the same kind as `database_url`."""
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'second.db'}"
        return
    url = await create_database(request.getfixturevalue("postgres_server"))
    yield url
    await drop_database(url)


async def test_two_arrival_orders_with_repeats_give_the_same_results(
    database_url: str, second_url: str
) -> None:
    events = scenario()
    shuffled = events[::-1] + random.Random(8).sample(events, 40)  # reversed, then 40 repeats
    first = await fold(database_url, events)
    second = await fold(second_url, shuffled, batch=3, preload=False)
    try:
        a, b = await results(first), await results(second)
    finally:
        await first.close_databases()
        await second.close_databases()
    assert a == b
    campaign = a["/campaigns/CMP-A"]
    assert (campaign["treated"]["clients"], campaign["treated"]["converted"]) == TREATED_A
    assert (campaign["holdout"]["clients"], campaign["holdout"]["converted"]) == HOLDOUT_A


async def test_a_conversion_that_arrives_before_its_touch_counts_by_event_time(
    database_url: str,
) -> None:
    """Trades first, then the deliveries, then the decisions: the reverse of how they happened."""
    events = scenario()
    rank = {"trading.trades.v1": 0, "reach.deliveries.v1": 1, "reach.outreach.v1": 2}
    late = sorted(events, key=lambda e: rank.get(e[0], 3))
    runtime = await fold(database_url, late)
    try:
        body = (await results(runtime))["/campaigns/CMP-A"]
    finally:
        await runtime.close_databases()
    treated, holdout = GroupResult(*TREATED_A), GroupResult(*HOLDOUT_A)
    assert (body["treated"]["converted"], body["holdout"]["converted"]) == (12, 5)
    assert body["uplift"] == pytest.approx(treated.rate - holdout.rate)
    low, high = newcombe(treated, holdout)
    assert (body["uplift_ci_low"], body["uplift_ci_high"]) == (
        pytest.approx(low),
        pytest.approx(high),
    )
    assert body["converted_amount"] == 12 * 10000.0


async def test_the_stored_counts_equal_a_recount_and_the_migration_fills_them_from_the_rows(
    database_url: str,
) -> None:
    """The pre-aggregated counts the endpoints read are exactly what the rows add up to, after
    corrections in any order; an upgrade from the revision before them computes the same."""
    campaigns = ("CMP-A", "CMP-B", "CMP-C", "CMP-D")
    runtime = await fold(database_url, scenario()[::-1], batch=5)
    definition = runtime.definition
    try:
        async with runtime.sessions() as session:
            stored = {c: await read_counts(session, c) for c in campaigns}
            assert stored == {c: await recount(session, c) for c in campaigns}
    finally:
        await runtime.close_databases()
    assert stored["CMP-A"]["delivery", "sent"][0] == 39  # C07 failed first, then was sent
    args = (definition.migrations, definition.metadata, database_url)
    await asyncio.to_thread(migrations.downgrade, *args, "3e29749e5e41")
    await asyncio.to_thread(migrations.upgrade, *args)
    again = Runtime(definition)
    try:
        async with again.sessions() as session:
            assert {c: await read_counts(session, c) for c in campaigns} == stored
    finally:
        await again.close_databases()
