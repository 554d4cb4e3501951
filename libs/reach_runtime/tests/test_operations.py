"""What operators rely on, shown on the profile service over real Kafka: dead letters listed and
replayed, readiness, and metrics."""

from __future__ import annotations

import dataclasses

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from reach_profile.bootstrap import bootstrap
from reach_profile.settings import ProfileSettings
from reach_runtime.stack import Broker
from reach_runtime.testing import eventually, running

pytestmark = pytest.mark.kafka


async def test_dead_letters_are_listed_with_their_reason_and_replayed_to_their_source_once(
    database_url: str, broker: Broker
) -> None:
    await broker.publish("trading.trades.v1", b"[1, 2", key="C1")
    settings = ProfileSettings(
        database_url=database_url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=broker.prefix,
        relay_poll_interval_ms=50,
    )
    async with running(bootstrap(settings)) as (_runtime, client):

        async def listed() -> list:
            return (await client.get("/dead-letters")).json()

        letters = await eventually(listed)
        assert len(letters) == 1
        letter = letters[0]
        assert letter["source_topic"] == broker.prefix + "trading.trades.v1"
        assert letter["source_offset"] == 0
        assert letter["key"] == "C1"
        assert letter["value_bytes"] == 5
        assert "not valid JSON" in letter["reason"]
        assert "value" not in letter

        replayed = await client.post(f"/dead-letters/{letter['id']}/replay")
        assert replayed.status_code == 202
        again = await client.post(f"/dead-letters/{letter['id']}/replay")
        assert again.status_code == 409
        missing = await client.post("/dead-letters/999999/replay")
        assert missing.status_code == 404

        source = await broker.read("trading.trades.v1", until=lambda r: len(r) >= 2)
        assert [r.value for r in source] == [b"[1, 2", b"[1, 2"]
        # still malformed: parked again, as a new letter; the replayed one is no longer listed
        relisted = await eventually(lambda: _newer_than(client, letter["id"]))
        assert relisted[0]["source_offset"] == 1
        history = (await client.get("/dead-letters", params={"include_replayed": True})).json()
        assert history[0]["replayed_at"] is not None


async def _grew(read, before: float) -> bool:
    return await read() == before + 1


async def _newer_than(client, letter_id: int) -> list | None:
    letters = (await client.get("/dead-letters")).json()
    return [x for x in letters if x["id"] > letter_id] or None


async def test_ready_when_database_and_kafka_answer_and_metrics_count_what_was_consumed(
    sqlite_url: str, broker: Broker
) -> None:
    labels = {"service": "profile", "topic": "trading.trades.v1"}
    # counters live as long as the process, so this test looks at what it adds
    before = REGISTRY.get_sample_value("reach_events_dead_lettered_total", labels) or 0.0
    await broker.publish("trading.trades.v1", b"not json", key="C9")
    settings = ProfileSettings(
        database_url=sqlite_url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=broker.prefix,
    )
    async with running(bootstrap(settings)) as (_runtime, client):
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["database"] == "ok"
        assert ready.json()["checks"]["kafka"] == "ok"

        async def dead_lettered() -> float:
            text = (await client.get("/metrics")).text
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    if (
                        sample.name == "reach_events_dead_lettered_total"
                        and sample.labels == labels
                    ):
                        return sample.value
            return 0.0

        assert await eventually(lambda: _grew(dead_lettered, before)), "no dead letter counted"
        metrics = (await client.get("/metrics")).text
        assert "reach_consumer_lag" in metrics


async def test_not_ready_when_kafka_cannot_be_reached(sqlite_url: str) -> None:
    settings = ProfileSettings(database_url=sqlite_url, kafka_bootstrap_servers="127.0.0.1:1")
    runtime_app = bootstrap(settings)
    import httpx
    from reach_runtime.service import Runtime, create_app

    runtime = Runtime(runtime_app)
    app = create_app(runtime, roles=("api",))
    await runtime.start(("api",))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://service"
        ) as client:
            response = await client.get("/readyz")
    finally:
        await runtime.stop()
    assert response.status_code == 503
    assert response.json()["checks"]["kafka"] == "failed"


async def test_a_background_loop_that_dies_fails_the_liveness_probe(
    sqlite_url: str, broker: Broker
) -> None:
    async def breaks(_runtime) -> None:
        raise RuntimeError("a bug in a loop")

    settings = ProfileSettings(
        database_url=sqlite_url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=broker.prefix,
    )
    definition = dataclasses.replace(bootstrap(settings), workers=[breaks])
    async with running(definition) as (runtime, client):
        await eventually(lambda: runtime.dead_loops)
        alive = await client.get("/healthz")
        assert alive.status_code == 503  # half alive: the probe restarts the process
        assert alive.json() == {"status": "failed", "dead_loops": ["breaks"]}


async def test_after_a_rebalance_each_replica_reports_lag_only_for_its_own_partitions(
    tmp_path, broker: Broker
) -> None:
    """A partition a rebalance takes away is forgotten: a stale lag would keep `caught_up`
    (readiness, tests) and `reach_consumer_lag` (the lag alert) on a partition another replica
    now reads."""

    def settings(name: str) -> ProfileSettings:
        return ProfileSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / name}.db",
            kafka_bootstrap_servers=broker.bootstrap,
            kafka_topic_prefix=broker.prefix,
        )

    async with running(bootstrap(settings("first"))) as (first, _client):
        assert await eventually(lambda: first.consumer.caught_up, timeout_s=30)
        everything = set(first.consumer.lag)
        async with running(bootstrap(settings("second"))) as (second, _client2):

            def split() -> bool:
                mine, theirs = set(first.consumer.lag), set(second.consumer.lag)
                return bool(mine) and bool(theirs) and not mine & theirs

            assert await eventually(split, timeout_s=60), (first.consumer.lag, second.consumer.lag)
            assert set(first.consumer.lag) | set(second.consumer.lag) == everything
