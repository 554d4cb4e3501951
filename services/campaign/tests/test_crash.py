"""kill -9 of the campaign service mid-batch and mid-release of delayed sends: after each
restart, every trigger occurrence has exactly one outreach decision on reach.outreach.v1 (one
event id per idempotency key; the relay may repeat a message, never invent a second one), and
no delayed send is lost."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from reach_campaign.domain.assignment import in_holdout
from reach_contracts import SegmentEntered, SegmentMembershipChange, decode
from reach_runtime.stack import Broker, Stack

from .conftest import ANN, BOB

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.system]
START = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
SPEED = 60  # a simulated minute per second
CLIENTS = 1200
TOPIC = "reach.outreach.v1"


def entry(n: int) -> SegmentEntered:
    """Client n enters at START + n seconds, so the delayed sends fall due over 20 seconds."""
    return SegmentEntered(
        event_id=f"seg-X-C{n:05d}",
        occurred_at=START + timedelta(seconds=n),
        client_id=f"C{n:05d}",
        payload=SegmentMembershipChange(segment_id="SEG-X", segment_name="x"),
    )


async def campaign(http: httpx.AsyncClient, name: str, purpose: str, delay: int | None) -> str:
    body = "{client_id}, " + name
    written = await http.post(
        "/scripts",
        json={"name": name, "channel": "email", "purpose": purpose, "body": body, "subject": name},
        headers=ANN,
    )
    assert written.status_code == 201, written.text
    script = written.json()
    scene = {"kind": "segment_entered", "segment_id": "SEG-X"}
    if delay:
        scene["delay"] = {"minutes": delay}
    document = {
        "name": name,
        "goal": {"primary_event": "trade.executed"},
        "service": {"purpose": purpose},
        "scene": scene,
        "touchpoint": {"channels": ["email"]},
        "script": {"variants": [{"channel": "email", "script_id": script["id"], "version": 1}]},
        "evaluation": {"holdout_percent": 10},
    }
    response = await http.post("/campaigns", json=document, headers=ANN)
    assert response.status_code == 201, response.text
    created = response.json()
    if purpose == "service":
        done = await http.post(f"/campaigns/{created['id']}/activate", headers=ANN)
    else:
        await http.post(f"/scripts/{script['id']}/versions/1/submit", headers=ANN)
        await http.post(f"/scripts/{script['id']}/versions/1/approve", headers=BOB)
        await http.post(f"/campaigns/{created['id']}/submit", headers=ANN)
        done = await http.post(f"/campaigns/{created['id']}/approve", headers=BOB)
    assert done.json()["status"] == "active", done.text
    return created["id"]


async def decisions(broker: Broker, distinct: int, timeout_s: float = 120) -> dict:
    """idempotency key -> the set of (event id, event type) seen for it, and the raw count."""
    records = await broker.read(
        TOPIC, until=lambda rs: len({r.value for r in rs}) >= distinct, timeout_s=timeout_s
    )
    by_key: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for record in records:
        event = decode(TOPIC, record.value)
        by_key[event.payload.idempotency_key].add(
            (event.event_id, event.event_type, event.payload.campaign_name)
        )
    return {"raw": len(records), "by_key": by_key}


async def test_each_occurrence_gets_exactly_one_outreach_across_kill_9_mid_batch_and_mid_release(
    broker: Broker, postgres_url: str, tmp_path: Path
) -> None:
    stack = Stack(
        kafka_bootstrap=broker.bootstrap,
        database_urls={"campaign": postgres_url},
        log_dir=tmp_path,
        env={
            "KAFKA_TOPIC_PREFIX": broker.prefix,
            "REACH_ENV": "test",
            "RELAY_POLL_INTERVAL_MS": "50",
            "CONSUMER_MAX_RECORDS": "100",
            "RELEASE_INTERVAL_S": "0.1",
            "CLOCK_START": START.isoformat(),
            "CLOCK_WALL_START": str(time.time()),
            "CLOCK_SPEED": str(SPEED),
        },
    )
    stack.start("campaign")
    try:
        await stack.wait_ready()
        async with httpx.AsyncClient(base_url=stack.url("campaign"), timeout=10) as http:
            at_once = await campaign(http, "notice at once", "service", None)
            later = await campaign(http, "care an hour later", "care", 60)

        publishing = asyncio.ensure_future(
            broker.publish("reach.segment-memberships.v1", *(entry(n) for n in range(CLIENTS)))
        )
        seen = await decisions(broker, 50)
        stack.kill("campaign")
        assert len(seen["by_key"]) < CLIENTS, "killed too late to prove anything"
        await publishing
        stack.start("campaign")
        await stack.wait_ready()

        def released(state: dict) -> int:
            return sum(
                1
                for found in state["by_key"].values()
                if any(t == "outreach.requested" and n == "care an hour later" for _, t, n in found)
            )

        held_out = {
            name: sum(in_holdout(campaign_id, f"C{n:05d}", 10) for n in range(CLIENTS))
            for name, campaign_id in (("notice", at_once), ("care", later))
        }
        # every notice and every hold-out is decided at once; the care sends then fall due
        first_wave = CLIENTS + held_out["care"]
        state = await decisions(broker, first_wave + 100, timeout_s=180)
        stack.kill("campaign")
        assert 0 < released(state) < CLIENTS - held_out["care"], "the kill missed the releases"
        stack.start("campaign")
        await stack.wait_ready()

        final = await decisions(broker, 2 * CLIENTS, timeout_s=180)
        assert len(final["by_key"]) == 2 * CLIENTS
        assert all(len(found) == 1 for found in final["by_key"].values()), "a key decided twice"
        outcomes = defaultdict(int)
        for found in final["by_key"].values():
            [(_, event_type, name)] = found
            outcomes[name, event_type] += 1
        assert dict(outcomes) == {
            ("notice at once", "outreach.requested"): CLIENTS - held_out["notice"],
            ("notice at once", "outreach.held_out"): held_out["notice"],
            ("care an hour later", "outreach.requested"): CLIENTS - held_out["care"],
            ("care an hour later", "outreach.held_out"): held_out["care"],
        }
        more = await decisions(broker, 2 * CLIENTS + 1, timeout_s=3)
        assert len(more["by_key"]) == 2 * CLIENTS  # nothing beyond one decision per occurrence
        print(f"raw messages {final['raw']} for {2 * CLIENTS} decisions")
    finally:
        stack.stop()
