"""Time alone moves clients in and out of time-relative segments, with no new portrait."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from reach_contracts import Portrait, PortraitUpdated, decode
from reach_runtime.clock import ManualClock
from reach_runtime.stack import Broker
from reach_runtime.testing import eventually, running
from reach_segmenter.bootstrap import bootstrap
from reach_segmenter.settings import SegmenterSettings

pytestmark = pytest.mark.kafka
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TOPIC = "reach.segment-memberships.v1"


async def test_a_client_leaves_recent_and_enters_lapsed_when_a_day_passes_with_no_login(
    database_url: str, broker: Broker
) -> None:
    await broker.publish(
        "reach.portraits.v1",
        PortraitUpdated(
            event_id="C1-v1",
            occurred_at=T0,
            client_id="C1",
            payload=Portrait(version=1, as_of=T0, last_login_at=T0 - timedelta(hours=1)),
        ),
    )
    clock = ManualClock(T0)
    settings = SegmenterSettings(
        database_url=database_url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=broker.prefix,
        relay_poll_interval_ms=50,
        backfill_poll_s=0.05,
        sweep_interval_s=0.2,
    )
    async with running(bootstrap(settings), clock=clock) as (runtime, client):
        await eventually(lambda: runtime.consumer.caught_up)
        for name, op in [("recent", "within"), ("lapsed", "not_within")]:
            rule = {"field": "last_login_at", "op": op, "value": "1d"}
            created = await client.post("/segments", json={"name": name, "rule": rule})
            assert created.json()["time_relative"] is True

        async def members(name: str) -> list[str]:
            segments = {s["name"]: s["id"] for s in (await client.get("/segments")).json()}
            page = (await client.get(f"/segments/{segments[name]}/members")).json()
            return [m["client_id"] for m in page]

        assert await eventually(lambda: members("recent"), timeout_s=20) == ["C1"]
        assert await members("lapsed") == []

        clock.advance(timedelta(hours=22, minutes=59))  # 23h59m since the login: still recent
        await eventually(lambda: runtime.consumer.caught_up)
        await _sweeps_pass(settings.sweep_interval_s)
        assert await members("recent") == ["C1"]

        clock.advance(timedelta(minutes=2))  # a day and a minute: the next sweep moves C1
        assert await eventually(lambda: members("lapsed"), timeout_s=20) == ["C1"]
        assert await members("recent") == []

    records = await broker.read(TOPIC, until=lambda r: len(r) >= 3)
    events = [decode(TOPIC, r.value) for r in records]
    moved = [(e.event_type, e.payload.segment_name) for e in events]
    assert moved[0] == ("segment.entered", "recent")
    assert sorted(moved[1:]) == [("segment.entered", "lapsed"), ("segment.exited", "recent")]
    for swept in events[1:]:
        assert swept.payload.portrait_version is None  # the clock moved C1, not a portrait
        assert swept.occurred_at == T0 + timedelta(hours=23, minutes=1)


async def _sweeps_pass(interval_s: float) -> None:
    await asyncio.sleep(interval_s * 3)
