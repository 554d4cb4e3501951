"""The profile service through real Kafka: poison isolation, de-duplication, emitted portraits."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from prometheus_client import REGISTRY
from reach_contracts import TradeExecuted, decode
from reach_profile.bootstrap import bootstrap
from reach_profile.settings import ProfileSettings
from reach_runtime.stack import Broker
from reach_runtime.testing import eventually, running
from reach_sim import builders as make

pytestmark = pytest.mark.kafka


def trade(event_id: str, client_id: str, at: str = "2026-11-23T09:31:02+08:00") -> TradeExecuted:
    return make.trade(
        client_id, datetime.fromisoformat(at), amount="910.00", price="9.10", event_id=event_id
    )


def settings(database_url: str, broker: Broker) -> ProfileSettings:
    return ProfileSettings(
        database_url=database_url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=broker.prefix,
        relay_poll_interval_ms=50,
    )


async def portrait(client, client_id: str) -> dict | None:
    response = await client.get(f"/portraits/{client_id}")
    return response.json() if response.status_code == 200 else None


async def test_bad_messages_are_dead_lettered_and_the_events_around_them_processed(
    database_url: str, broker: Broker
) -> None:
    invalid = json.loads(trade("e-bad", "C1").model_dump_json())
    invalid["payload"]["amount"] = -5
    await broker.publish("trading.trades.v1", trade("e-1", "C1"), key="C1")
    await broker.publish("trading.trades.v1", b"{not json", key="C1")
    await broker.publish("trading.trades.v1", json.dumps(invalid).encode(), key="C1")
    await broker.publish(
        "trading.trades.v1", trade("e-2", "C1", "2026-11-23T10:00:00+08:00"), key="C1"
    )

    async with running(bootstrap(settings(database_url, broker))) as (_runtime, client):
        latest = await eventually(lambda: _with_trades(client, "C1", 2))
        assert latest["trade_count"] == 2
        assert latest["last_trade_at"].startswith("2026-11-23T02:00:00")

        letters = await broker.read("reach.dead-letters.v1", until=lambda r: len(r) >= 2)
    assert len(letters) == 2
    headers = [dict(r.headers) for r in letters]
    reasons = sorted(h["reach-dlq-reason"].decode() for h in headers)
    assert "not valid JSON" in reasons[0] or "not valid JSON" in reasons[1]
    assert any("payload.amount" in r for r in reasons)
    for h in headers:
        assert h["reach-dlq-source-topic"].decode() == broker.prefix + "trading.trades.v1"
        assert h["reach-dlq-consumer-group"].decode() == broker.prefix + "reach-profile"
    offsets = sorted(int(h["reach-dlq-source-offset"]) for h in headers)
    assert offsets == [1, 2]
    assert {r.value for r in letters} == {b"{not json", json.dumps(invalid).encode()}


async def _with_trades(client, client_id: str, count: int) -> dict | None:
    found = await portrait(client, client_id)
    return found if found and found["trade_count"] >= count else None


async def test_an_event_delivered_twice_changes_the_portrait_once(
    database_url: str, broker: Broker
) -> None:
    once = trade("e-dup", "C2")
    await broker.publish("trading.trades.v1", once, once, trade("e-3", "C2"))

    async with running(bootstrap(settings(database_url, broker))) as (_runtime, client):
        emitted = await broker.read("reach.portraits.v1", until=lambda r: len(r) >= 2)
        latest = await portrait(client, "C2")
        # a later redelivery of the same event is also ignored
        await broker.publish("trading.trades.v1", once)
        await broker.publish("trading.trades.v1", trade("e-4", "C2"))
        await eventually(lambda: _with_trades(client, "C2", 3))
        final = await portrait(client, "C2")

    assert latest["trade_count"] == 2
    assert final["trade_count"] == 3
    versions = [decode("reach.portraits.v1", r.value).payload.version for r in emitted]
    assert versions == [1, 2]
    assert all(r.key == b"C2" for r in emitted)


async def test_portrait_api_says_why_a_client_is_not_found(sqlite_url: str, broker: Broker) -> None:
    async with running(bootstrap(settings(sqlite_url, broker))) as (_runtime, client):
        response = await client.get("/portraits/C404")
    assert response.status_code == 404
    assert response.json()["detail"][0]["loc"] == ["body", "client_id"]


async def test_an_event_type_newer_than_the_contracts_is_counted_and_skipped_not_dead_lettered(
    sqlite_url: str, broker: Broker
) -> None:
    newer = json.loads(trade("e-new", "C3").model_dump_json())
    newer["event_type"] = "trade.amended"
    labels = {"service": "profile", "topic": "trading.trades.v1", "reason": "unknown_event_type"}
    before = REGISTRY.get_sample_value("reach_events_skipped_total", labels) or 0.0
    await broker.publish("trading.trades.v1", json.dumps(newer).encode(), key="C3")
    await broker.publish("trading.trades.v1", trade("e-after", "C3"))

    async with running(bootstrap(settings(sqlite_url, broker))) as (_runtime, client):
        assert (await eventually(lambda: _with_trades(client, "C3", 1)))["trade_count"] == 1
        assert REGISTRY.get_sample_value("reach_events_skipped_total", labels) == before + 1
        letters = (await client.get("/dead-letters")).json()
    assert letters == []
