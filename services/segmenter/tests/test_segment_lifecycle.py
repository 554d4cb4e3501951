"""Segments through the API and real Kafka: edit as a new version that moves only the clients
whose membership changed, archive, preview, history and counts, and segments built on segments."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from reach_contracts import Portrait, PortraitUpdated, decode
from reach_runtime.clock import ManualClock
from reach_runtime.stack import Broker
from reach_runtime.testing import eventually, running
from reach_segmenter.bootstrap import bootstrap
from reach_segmenter.settings import SegmenterSettings

pytestmark = pytest.mark.kafka
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TOPIC = "reach.segment-memberships.v1"


def portrait(client_id: str, version: int, **fields: Any) -> PortraitUpdated:
    return PortraitUpdated(
        event_id=f"{client_id}-v{version}",
        occurred_at=NOW,
        client_id=client_id,
        payload=Portrait(version=version, as_of=NOW, **fields),
    )


def settings_for(database_url: str, broker: Broker) -> SegmenterSettings:
    return SegmenterSettings(
        database_url=database_url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=broker.prefix,
        relay_poll_interval_ms=50,
        backfill_poll_s=0.05,
        backfill_page_size=2,
    )


async def moves(broker: Broker, count: int, timeout_s: float = 20) -> list[tuple[str, str, str]]:
    """(client, entered | exited, segment name), de-duplicated by event id; in order for each
    client (the topic is keyed by client), not across clients."""
    records = await broker.read(
        TOPIC, until=lambda r: len({x.value for x in r}) >= count, timeout_s=timeout_s
    )
    seen, result = set(), []
    for record in records:
        event = decode(TOPIC, record.value)
        if event.event_id not in seen:
            seen.add(event.event_id)
            result.append(
                (event.client_id, event.event_type.split(".")[1], event.payload.segment_name)
            )
    return result


async def finished(client: httpx.AsyncClient, response: httpx.Response) -> dict:
    assert response.status_code == 202, response.text

    async def done() -> dict | None:
        body = (await client.get(response.json()["backfill_url"])).json()
        return body if body["status"] == "done" else None

    result = await eventually(done, timeout_s=30)
    assert result, "the back-fill did not finish"
    return result


async def test_an_edit_moves_only_the_clients_whose_membership_changed_and_archive_exits_all(
    database_url: str, broker: Broker
) -> None:
    await broker.publish(
        "reach.portraits.v1",
        portrait("C1", 1, total_assets=Decimal(100_000)),
        portrait("C2", 1, total_assets=Decimal(300_000)),
        portrait("C3", 1, total_assets=Decimal(600_000)),
        portrait("C4", 1),
        portrait("C5", 1, total_assets=Decimal(1_000_001)),
    )
    clock = ManualClock(NOW)
    async with running(bootstrap(settings_for(database_url, broker)), clock=clock) as (
        runtime,
        client,
    ):
        await eventually(lambda: runtime.consumer.caught_up)
        vip = {"field": "total_assets", "op": "between", "value": [300_000, 1_000_000]}
        created = await client.post("/segments", json={"name": "vip", "rule": vip})
        job = await finished(client, created)
        assert (job["total"], job["done"], job["percent"], job["entered"]) == (5, 5, 100.0, 2)
        first = await moves(broker, 2)
        assert sorted(first) == [("C2", "entered", "vip"), ("C3", "entered", "vip")]
        segment_id = created.json()["id"]

        narrower = {"field": "total_assets", "op": "between", "value": [50_000, 400_000]}
        preview = await client.post("/segments/preview", json={"rule": narrower})
        assert preview.json() == {"matching": 2, "total": 5}

        clock.advance(NOW.resolution * 10**6 * 3600 * 24)  # a day later
        edited = await client.put(f"/segments/{segment_id}", json={"rule": narrower})
        job = await finished(client, edited)
        assert (job["reason"], job["segment_version"], job["entered"], job["exited"]) == (
            "edit",
            2,
            1,
            1,
        )
        edit = await moves(broker, 4)
        assert sorted(set(edit) - set(first)) == [("C1", "entered", "vip"), ("C3", "exited", "vip")]
        versions = (await client.get(f"/segments/{segment_id}/versions")).json()
        assert [(v["version"], v["rule"]) for v in versions] == [(1, vip), (2, narrower)]

        history = (await client.get("/clients/C3/memberships")).json()
        assert history["current"] == []
        assert [(h["change"], h["segment_version"]) for h in history["history"]] == [
            ("exited", 2),
            ("entered", 1),
        ]
        assert history["history"][0]["cause"] == f"backfill:{job['id']}"

        archived = await client.post(f"/segments/{segment_id}/archive")
        job = await finished(client, archived)
        assert (job["reason"], job["exited"]) == ("archive", 2)
        assert sorted(set(await moves(broker, 6)) - set(edit)) == [
            ("C1", "exited", "vip"),
            ("C2", "exited", "vip"),
        ]
        after = (await client.get(f"/segments/{segment_id}")).json()
        assert after["member_count"] == 0 and after["archived_at"] is not None
        assert (await client.get("/segments")).json() == []
        assert [s["name"] for s in (await client.get("/segments?archived=true")).json()] == ["vip"]
        refused = await client.put(f"/segments/{segment_id}", json={"rule": vip})
        assert refused.status_code == 409 and "archived" in refused.json()["detail"][0]["msg"]

        counts = (await client.get(f"/segments/{segment_id}/counts", params={"days": 2})).json()
        assert counts == [
            {"day": "2026-11-23", "entered": 2, "exited": 0, "members": 2},
            {"day": "2026-11-24", "entered": 1, "exited": 3, "members": 0},
        ]
        assert len(await moves(broker, 7, timeout_s=2)) == 6  # nothing more was announced


async def test_a_segment_of_segments_follows_its_parts_in_the_same_transaction(
    database_url: str, broker: Broker
) -> None:
    async with running(bootstrap(settings_for(database_url, broker))) as (runtime, client):
        await eventually(lambda: runtime.consumer.caught_up)
        for name, rule in [
            ("valid", {"field": "total_assets", "op": "gte", "value": 10_000}),
            ("active", {"field": "trades_30d", "op": "gte", "value": 1}),
            ("core", {"all": [{"segment": "valid"}, {"segment": "active"}]}),
        ]:
            await finished(
                client, await client.post("/segments", json={"name": name, "rule": rule})
            )

        unknown = await client.post(
            "/segments",
            json={"name": "x", "rule": {"any": [{"segment": "valid"}, {"segment": "nope"}]}},
        )
        assert unknown.status_code == 422
        assert unknown.json()["detail"][0]["loc"] == ["body", "rule", "any", "1", "segment"]
        valid_id = next(
            s["id"] for s in (await client.get("/segments")).json() if s["name"] == "valid"
        )
        cycle = await client.put(f"/segments/{valid_id}", json={"rule": {"segment": "core"}})
        assert cycle.status_code == 422
        assert "cycle: core -> valid -> core" in cycle.json()["detail"][0]["msg"]
        in_use = await client.post(f"/segments/{valid_id}/archive")
        assert in_use.status_code == 409 and "core" in in_use.json()["detail"][0]["msg"]

        await broker.publish("reach.portraits.v1", portrait("C1", 1, total_assets=Decimal(50_000)))
        await broker.publish(
            "reach.portraits.v1", portrait("C1", 2, total_assets=Decimal(50_000), trades_30d=1)
        )
        await broker.publish("reach.portraits.v1", portrait("C1", 3, trades_30d=1))
        assert await moves(broker, 5) == [
            ("C1", "entered", "valid"),
            ("C1", "entered", "active"),
            ("C1", "entered", "core"),
            ("C1", "exited", "valid"),
            ("C1", "exited", "core"),
        ]
        history = (await client.get("/clients/C1/memberships")).json()
        assert history["current"] == ["active"]
        assert {h["cause"] for h in history["history"] if h["segment_name"] == "core"} == {
            "C1-v2",
            "C1-v3",
        }
