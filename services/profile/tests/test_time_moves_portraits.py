"""Time alone changes portraits: a client who does nothing becomes sleeping, with no new event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from reach_contracts import decode
from reach_profile.bootstrap import bootstrap
from reach_profile.settings import ProfileSettings
from reach_runtime.clock import ManualClock
from reach_runtime.stack import Broker
from reach_runtime.testing import eventually, running
from reach_sim import builders as make

pytestmark = pytest.mark.kafka

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


async def test_an_idle_client_becomes_sleeping_after_ninety_days_and_a_new_version_is_emitted(
    sqlite_url: str, broker: Broker
) -> None:
    await broker.publish(
        "accounts.events.v1", make.account_opened("C5", T0 - timedelta(days=400), event_id="open")
    )
    await broker.publish("trading.trades.v1", make.trade("C5", T0, amount="20000", event_id="t1"))
    clock = ManualClock(T0 + timedelta(hours=1))
    settings = ProfileSettings(
        database_url=sqlite_url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=broker.prefix,
        relay_poll_interval_ms=50,
        review_interval_s=0.1,
    )
    async with running(bootstrap(settings), clock=clock) as (_runtime, client):

        async def stage() -> str | None:
            response = await client.get("/portraits/C5")
            return response.json()["lifecycle_stage"] if response.status_code == 200 else None

        assert await eventually(lambda: _is(stage, "active")) == "active"
        clock.advance(timedelta(days=89))
        # no trade for 30 days: no longer active; not yet sleeping (that takes 90 idle days)
        assert await eventually(lambda: _is(stage, "opened"), timeout_s=30) == "opened"
        clock.advance(timedelta(days=2))
        assert await eventually(lambda: _is(stage, "sleeping"), timeout_s=30) == "sleeping"

        emitted = await broker.read(
            "reach.portraits.v1",
            until=lambda rs: any(
                decode("reach.portraits.v1", r.value).payload.lifecycle_stage == "sleeping"
                for r in rs
            ),
        )
    stages = [decode("reach.portraits.v1", r.value).payload for r in emitted]
    assert stages[-1].lifecycle_stage == "sleeping"
    assert [p.version for p in stages] == sorted({p.version for p in stages})  # versions only grow
    # (the opening, folded alone first, may already read as sleeping: opened 400 days ago)
    assert [p.lifecycle_stage for p in stages][-3:] == ["active", "opened", "sleeping"]


async def _is(read, wanted: str) -> str | None:
    value = await read()
    return value if value == wanted else None
