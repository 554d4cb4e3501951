"""kill -9 of the segmenter in the middle of a stream and of a back-fill: after a restart, every
membership transition is announced exactly once (one event id each; the relay may repeat a
message, never invent a second id for the same move)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from reach_contracts import Portrait, PortraitUpdated, decode
from reach_runtime.stack import Broker, Stack
from reach_runtime.testing import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.system]
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TOPIC = "reach.segment-memberships.v1"
CLIENTS = 1500


def portrait(n: int, version: int, trades: int) -> PortraitUpdated:
    return PortraitUpdated(
        event_id=f"C{n:05d}-v{version}",
        occurred_at=NOW,
        client_id=f"C{n:05d}",
        payload=Portrait(version=version, as_of=NOW, trade_count=trades),
    )


async def announced(broker: Broker, distinct: int, timeout_s: float = 120) -> dict:
    """event id -> (client, move, segment) for the first `distinct` ids seen, and raw count."""
    records = await broker.read(
        TOPIC, until=lambda rs: len({r.value for r in rs}) >= distinct, timeout_s=timeout_s
    )
    events = [decode(TOPIC, r.value) for r in records]
    return {
        "raw": len(records),
        "ids": {
            e.event_id: (e.client_id, e.event_type.split(".")[1], e.payload.segment_name)
            for e in events
        },
    }


async def test_each_transition_is_announced_once_across_kill_9_mid_stream_and_mid_backfill(
    broker: Broker, postgres_url: str, tmp_path: Path
) -> None:
    stack = Stack(
        kafka_bootstrap=broker.bootstrap,
        database_urls={"segmenter": postgres_url},
        log_dir=tmp_path,
        env={
            "KAFKA_TOPIC_PREFIX": broker.prefix,
            "REACH_ENV": "test",
            "RELAY_POLL_INTERVAL_MS": "50",
            "CONSUMER_MAX_RECORDS": "200",
            "BACKFILL_PAGE_SIZE": "25",
            "BACKFILL_POLL_S": "0.05",
        },
    )
    stack.start("segmenter")
    url = None
    try:
        await stack.wait_ready()
        url = stack.url("segmenter")
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            traders = {"field": "trade_count", "op": "gte", "value": 1}
            assert (
                await http.post("/segments", json={"name": "traders", "rule": traders})
            ).status_code == 202

        # every client trades (enters), then their count is corrected to 0 (exits)
        stream = [portrait(n, 1, 1) for n in range(CLIENTS)]
        stream += [portrait(n, 2, 0) for n in range(CLIENTS)]
        publishing = asyncio.ensure_future(broker.publish("reach.portraits.v1", *stream))
        seen = await announced(broker, 50)
        stack.kill("segmenter")
        assert len(seen["ids"]) < 2 * CLIENTS, "killed too late to prove anything"
        await publishing
        stack.start("segmenter")
        await stack.wait_ready()
        first = await announced(broker, 2 * CLIENTS)

        moves = defaultdict(list)
        for client_id, move, _segment in first["ids"].values():
            moves[client_id].append(move)
        assert len(moves) == CLIENTS
        assert all(m == ["entered", "exited"] for m in moves.values()), "a move missing or twice"

        # a back-fill over every portrait, killed part-way through and resumed
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            quiet = {"field": "trade_count", "op": "eq", "value": 0}
            created = (await http.post("/segments", json={"name": "quiet", "rule": quiet})).json()

            async def part_done() -> dict | None:
                body = (await http.get(created["backfill_url"])).json()
                return body if body["done"] > 0 else None

            progress = await eventually(part_done, timeout_s=60, interval_s=0.02)
        stack.kill("segmenter")
        assert progress["status"] == "running", "the back-fill ended before the kill"
        stack.start("segmenter")
        await stack.wait_ready()
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:

            async def done() -> dict | None:
                body = (await http.get(created["backfill_url"])).json()
                return body if body["status"] == "done" else None

            final = await eventually(done, timeout_s=120)
        assert final and final["entered"] == CLIENTS

        everything = await announced(broker, 3 * CLIENTS)
        quiet_moves = [m for m in everything["ids"].values() if m[2] == "quiet"]
        assert len(quiet_moves) == CLIENTS
        assert len({client for client, _, _ in quiet_moves}) == CLIENTS
        more = await announced(broker, 3 * CLIENTS + 1, timeout_s=3)
        assert len(more["ids"]) == 3 * CLIENTS  # nothing announced beyond the real moves
        print(f"raw messages {everything['raw']} for {3 * CLIENTS} distinct moves")
    finally:
        stack.stop()
