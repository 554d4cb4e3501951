"""The segmenter through real Kafka: one entered / exited event per real transition."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from reach_contracts import Portrait, PortraitUpdated, decode
from reach_runtime.stack import Broker
from reach_runtime.testing import eventually, running
from reach_segmenter.bootstrap import bootstrap
from reach_segmenter.settings import SegmenterSettings

pytestmark = pytest.mark.kafka
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


TRADERS = {"name": "traders", "rule": {"all": [{"field": "trade_count", "op": "gte", "value": 1}]}}


def _settings(database_url: str, broker: Broker) -> SegmenterSettings:
    return SegmenterSettings(
        database_url=database_url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=broker.prefix,
        relay_poll_interval_ms=50,
    )


def portrait(client_id: str, version: int, **fields: object) -> PortraitUpdated:
    return PortraitUpdated(
        event_id=f"{client_id}-v{version}",
        occurred_at=NOW,
        client_id=client_id,
        payload=Portrait(version=version, as_of=NOW, **fields),
    )


async def transitions(broker: Broker, count: int, timeout_s: float = 20) -> list[tuple[str, str]]:
    records = await broker.read(
        "reach.segment-memberships.v1", until=lambda r: len(r) >= count, timeout_s=timeout_s
    )
    events = [decode("reach.segment-memberships.v1", r.value) for r in records]
    return [(e.client_id, e.event_type.split(".")[1]) for e in events]


async def _done(client, progress_url: str) -> dict | None:
    body = (await client.get(progress_url)).json()
    return body if body["status"] == "done" else None


async def test_clients_enter_and_exit_once_per_real_change_whatever_is_redelivered(
    database_url: str, broker: Broker
) -> None:
    await broker.publish(
        "reach.portraits.v1", portrait("C1", 1, trade_count=0), portrait("C2", 1, trade_count=3)
    )
    settings = _settings(database_url, broker)
    async with running(bootstrap(settings)) as (runtime, client):
        await eventually(lambda: runtime.consumer.caught_up)
        created = await client.post(
            "/segments",
            json=TRADERS,
        )
        assert created.status_code == 202, created.text
        progress = created.json()["backfill_url"]
        assert created.headers["location"] == progress
        done = await eventually(lambda: _done(client, progress), timeout_s=20)
        assert done["percent"] == 100 and done["entered"] == 1 and done["total"] == 2
        segment = (await client.get(f"/segments/{created.json()['id']}")).json()
        assert segment["member_count"] == 1  # back-filled: C2
        assert await transitions(broker, 1) == [("C2", "entered")]

        entered = portrait("C1", 2, trade_count=1)
        await broker.publish("reach.portraits.v1", entered, entered)  # delivered twice
        await broker.publish("reach.portraits.v1", portrait("C1", 1, trade_count=0))  # late, older
        await broker.publish("reach.portraits.v1", portrait("C2", 2, trade_count=0))
        await broker.publish(
            "reach.portraits.v1", portrait("C1", 3, trade_count=1, login_count=9)
        )  # unrelated
        assert await transitions(broker, 3) == [
            ("C2", "entered"),
            ("C1", "entered"),
            ("C2", "exited"),
        ]

        assert len(await transitions(broker, 4, timeout_s=3)) == 3  # nothing more comes
        members = (await client.get(f"/segments/{created.json()['id']}/members")).json()
        assert [m["client_id"] for m in members] == ["C1"]


async def test_an_invalid_rule_is_refused_with_the_path_and_the_reason(
    sqlite_url: str, broker: Broker
) -> None:
    settings = SegmenterSettings(
        database_url=sqlite_url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=broker.prefix,
    )
    async with running(bootstrap(settings)) as (_runtime, client):
        response = await client.post(
            "/segments",
            json={
                "name": "bad",
                "rule": {"all": [{"field": "last_login_at", "op": "gt", "value": "yesterday"}]},
            },
        )
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"][:2] == ["body", "rule"]
    assert "timestamp" in detail["msg"]


async def test_a_client_in_and_out_of_a_segment_within_one_batch_gets_every_move_in_order(
    database_url: str, broker: Broker
) -> None:
    """Moves are written at commit, a few statements per batch: a batch in which a client enters,
    leaves and enters again still announces and records the three moves, in order."""
    settings = _settings(database_url, broker)
    async with running(bootstrap(settings)) as (_runtime, client):
        created = await client.post("/segments", json=TRADERS)
        assert created.status_code == 202, created.text
        await eventually(lambda: _done(client, created.json()["backfill_url"]), timeout_s=20)
    # Published while the service is down, so the next start reads them in one poll.
    await broker.publish(
        "reach.portraits.v1",
        portrait("C1", 1, trade_count=1),
        portrait("C2", 1, trade_count=0),
        portrait("C1", 2, trade_count=0),
        portrait("C2", 2, trade_count=4),
        portrait("C1", 3, trade_count=2),
    )
    async with running(bootstrap(settings)) as (_runtime, client):
        moves = await transitions(broker, 4)
        assert [m for c, m in moves if c == "C1"] == ["entered", "exited", "entered"]
        assert [m for c, m in moves if c == "C2"] == ["entered"]
        assert len(await transitions(broker, 5, timeout_s=3)) == 4  # nothing more comes
        history = (await client.get("/clients/C1/memberships")).json()
        assert history["current"] == ["traders"]
        assert [(h["change"], h["cause"]) for h in reversed(history["history"])] == [
            ("entered", "C1-v1"),
            ("exited", "C1-v2"),
            ("entered", "C1-v3"),
        ]
        members = (await client.get(f"/segments/{created.json()['id']}/members")).json()
        assert [m["client_id"] for m in members] == ["C1", "C2"]


async def test_a_membership_event_carries_the_trace_of_the_portrait_change_behind_it(
    sqlite_url: str, broker: Broker
) -> None:
    settings = _settings(sqlite_url, broker)
    async with running(bootstrap(settings)) as (_runtime, client):
        created = await client.post("/segments", json=TRADERS)
        await eventually(lambda: _done(client, created.json()["backfill_url"]), timeout_s=20)
        traces = {}
        for client_id in ("C1", "C2"):  # one batch or two: each move keeps its own trace
            traces[client_id] = uuid.uuid4().hex
            traceparent = f"00-{traces[client_id]}-{uuid.uuid4().hex[:16]}-01"
            await broker.publish(
                "reach.portraits.v1",
                portrait(client_id, 1, trade_count=1),
                headers=[("traceparent", traceparent.encode())],
            )
        records = await broker.read(
            "reach.segment-memberships.v1", until=lambda r: len(r) >= 2, timeout_s=20
        )
    for record in records:
        client_id = record.key.decode()
        assert dict(record.headers)["traceparent"].decode().split("-")[1] == traces[client_id]
