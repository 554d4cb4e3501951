"""Segmenter: portrait-to-membership latency, evaluation cost as segments grow, back-fill time.

    .venv/bin/python bench/segment_latency.py                         # all three, modest sizes
    .venv/bin/python bench/segment_latency.py --only latency --rate 1000 --duration 30
    .venv/bin/python bench/segment_latency.py --only growth --growth 10,100,1000
    .venv/bin/python bench/segment_latency.py --only backfill --backfill-portraits 1000000

The segmenter runs as its own process (`python -m reach_segmenter all`, started by
`reach_runtime.stack.Stack`) on a fresh PostgreSQL database, under a fresh topic prefix
(`bench<hex>.`, deleted afterwards); this script drives it through Kafka and its HTTP API.

1. latency: --segments synthetic segments, a few of which read `logins_30d`; every portrait
   change flips `logins_30d` between 4 and 5, so it moves the client in or out of exactly one
   segment.  Changes are published at --rate for --duration seconds; latency is the arrival of
   the membership event (matched by client and portrait version) minus the portrait's send
   time, both read in this process.  Baseline: the same messages at the same rate through the
   same broker to a plain topic, read by a bare aiokafka consumer.
2. growth: for each count in --growth, a fresh segmenter with that many segments (a few read
   the changed field, the others other fields) takes --growth-changes changes as fast as it
   can; time per change (wall) and handler time per change (`reach_handler_seconds`).  The
   smallest count is the baseline: the cost should follow the segments touching the changed
   field, not the total.
3. back-fill: --backfill-portraits portraits inserted straight into the segmenter's table
   (COPY), then one typical rule created through `POST /segments`; time until its back-fill is
   done.  Baseline: PostgreSQL counting the same rule's matches with one SQL query.

JSON goes to stdout (and to --out when given); a short table to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from profile_ingest import (
    DEFAULT_PG_SERVER,
    delete_prefix,
    ensure_kafka,
    ensure_postgres,
    topic_partitions,
    write_result,
)
from prometheus_client.parser import text_string_to_metric_families
from reach_contracts import Portrait, PortraitUpdated, encode
from reach_runtime.stack import Stack
from reach_runtime.testing import create_database, drop_database
from sqlalchemy.engine import make_url

PORTRAITS = "reach.portraits.v1"
MEMBERSHIPS = "reach.segment-memberships.v1"
CHANGED = "logins_30d"  # the field every change flips between 4 and 5
OTHER_FIELDS = (
    "logins_7d", "logins_90d", "trades_7d", "trades_30d", "trades_90d", "login_count",
    "trade_count", "total_assets", "cash", "avg_assets_20d", "avg_assets_month",
    "net_inflow_30d", "net_inflow_90d", "largest_outflow_90d", "holdings_count",
    "products_bought", "referrals", "years_in_market", "drawdown_90d", "largest_position_share",
)  # fmt: skip
TYPICAL_RULE = {
    "all": [
        {"field": "total_assets", "op": "gte", "value": 10000},
        {"field": "lifecycle_stage", "op": "eq", "value": "active"},
        {"field": "churn_risk", "op": "eq", "value": False},
    ]
}
NOW = datetime.now(UTC).replace(microsecond=0)


def log(message: str) -> None:
    print(f"[segment_latency] {message}", file=sys.stderr, flush=True)


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50/p95/p99/max in milliseconds."""
    if not values:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 2)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": at(1.0)}


# --- workload ------------------------------------------------------------------------------------


def synthetic_segments(count: int, touching: int) -> list[dict]:
    """`touching` segments read the changed field (only `gte 5` ever flips); the rest read others.

    The others' thresholds are out of reach so they hold no members: their cost is evaluation.
    """
    segments = []
    for i in range(count):
        if i < touching:
            rule = {"field": CHANGED, "op": "gte", "value": 5 + 10 * i}
        else:
            field = OTHER_FIELDS[i % len(OTHER_FIELDS)]
            rule = {"field": field, "op": "gte", "value": 10**9 + i}
        segments.append({"name": f"bench-{i:04d}", "description": "synthetic", "rule": rule})
    return segments


def base_portrait(client: int) -> dict[str, Any]:
    """Fields of a realistic, fully populated portrait (what profile emits for a valid client)."""
    rng = random.Random(client)
    assets = round(10 ** rng.uniform(3, 6.5), 2)
    return {
        "opened_on": (NOW - timedelta(days=rng.randint(30, 3000))).date(),
        "branch": f"BR{rng.randint(1, 8):02d}",
        "advisor_id": f"ADV{rng.randint(1, 20):03d}",
        "region": "Shanghai",
        "gender": rng.choice(["female", "male"]),
        "age_band": rng.choice(["under_30", "30_39", "40_49", "50_59", "60_plus"]),
        "years_in_market": round(rng.uniform(0, 15), 1),
        "risk_level": rng.choice(["C1", "C2", "C3", "C4", "C5"]),
        "lowest_category": False,
        "risk_expires_on": (NOW + timedelta(days=300)).date(),
        "risk_assessment_valid": True,
        "investment_horizon": "medium",
        "last_login_at": NOW - timedelta(hours=rng.randint(1, 500)),
        "last_trade_at": NOW - timedelta(hours=rng.randint(1, 2000)),
        "first_trade_at": NOW - timedelta(days=rng.randint(60, 3000)),
        "login_count": rng.randint(10, 900),
        "trade_count": rng.randint(1, 400),
        "trade_amount_total": round(assets * rng.uniform(0.5, 20), 2),
        "logins_7d": rng.randint(0, 7),
        CHANGED: 4,
        "logins_90d": rng.randint(5, 60),
        "trades_7d": rng.randint(0, 5),
        "trades_30d": rng.randint(0, 12),
        "trades_90d": rng.randint(0, 30),
        "preferred_channel": "app",
        "trading_frequency": rng.choice(["none", "low", "medium", "high"]),
        "total_assets": assets,
        "cash": round(assets * rng.uniform(0, 0.4), 2),
        "avg_assets_20d": assets,
        "avg_assets_month": assets,
        "net_inflow_total": round(assets * 0.8, 2),
        "net_inflow_30d": round(rng.uniform(-1, 1) * assets * 0.1, 2),
        "net_inflow_90d": round(rng.uniform(-1, 1) * assets * 0.2, 2),
        "largest_outflow_90d": round(assets * rng.uniform(0, 0.1), 2),
        "unrealised_pnl": round(assets * rng.uniform(-0.4, 0.3), 2),
        "unrealised_pnl_ratio": round(rng.uniform(-0.4, 0.3), 4),
        "drawdown_90d": round(rng.uniform(0, 0.4), 4),
        "holdings_count": rng.randint(1, 12),
        "largest_position_share": round(rng.uniform(0.1, 1), 6),
        "herfindahl_index": round(rng.uniform(0.1, 1), 6),
        "instrument_mix": {"stock": 0.7, "fund": 0.3},
        "preferred_instrument": rng.choice(["stock", "etf", "fund"]),
        "content_interests": ["market", "funds"],
        "responsive_channels": ["sms"],
        "products_bought": rng.randint(0, 5),
        "churn_risk": rng.random() < 0.05,
        "value_tier": "vip" if assets >= 300_000 else "general",
        "lifecycle_stage": rng.choice(["active", "active", "valid", "sleeping"]),
    }


def portrait_event(client: int, version: int, fields: dict[str, Any]) -> tuple[str, int, bytes]:
    client_id = f"C{client:08d}"
    event = PortraitUpdated(
        event_id=f"bench-{client_id}-v{version}",
        occurred_at=NOW,
        client_id=client_id,
        payload=Portrait(version=version, as_of=NOW + timedelta(seconds=version), **fields),
    )
    return client_id, version, encode(event)


def first_versions(clients: int) -> list[tuple[str, int, bytes]]:
    return [portrait_event(c, 1, base_portrait(c)) for c in range(clients)]


def changes(clients: int, count: int, last: dict[int, int]) -> list[tuple[str, int, bytes]]:
    """`count` changes over the clients in turn, each the client's next version after `last`
    (updated); `logins_30d` is 5 on even versions and 4 on odd ones, so every change flips it."""
    bases = [base_portrait(c) for c in range(min(clients, count))]
    out = []
    for j in range(count):
        client = j % clients
        version = last[client] = last.get(client, 1) + 1
        fields = {**bases[client], CHANGED: 5 if version % 2 == 0 else 4}
        out.append(portrait_event(client, version, fields))
    return out


# --- the segmenter as a process ------------------------------------------------------------------


@dataclass
class Segmenter:
    stack: Stack
    database_url: str
    prefix: str

    @property
    def url(self) -> str:
        return self.stack.url("segmenter")

    async def metric(self, name: str, **labels: str) -> float:
        """Sum of the samples named `name` whose labels include `labels`."""
        async with httpx.AsyncClient(timeout=10) as client:
            text = (await client.get(f"{self.url}/metrics")).text
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
        )

    async def processed(self) -> float:
        return await self.metric("reach_events_processed_total", service="segmenter")

    async def wait_processed(self, target: float, timeout_s: float) -> float | None:
        """Seconds until the processed count reaches `target`, or None on timeout."""
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < timeout_s:
            if await self.processed() >= target:
                return time.perf_counter() - t0
            await asyncio.sleep(0.05)
        return None

    def rss_mb(self) -> float | None:
        pid = self.stack._processes["segmenter"].pid
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
        return None


@contextlib.asynccontextmanager
async def segmenter(opts: argparse.Namespace) -> AsyncIterator[Segmenter]:
    """A segmenter process on a fresh PostgreSQL database under a fresh topic prefix."""
    prefix = f"bench{uuid.uuid4().hex[:10]}."
    database_url = await create_database(opts.postgres_server)
    stack = Stack(
        kafka_bootstrap=opts.bootstrap,
        database_urls={"segmenter": database_url},
        log_dir=Path(tempfile.mkdtemp(prefix="segment_latency_")),
        env={
            "KAFKA_TOPIC_PREFIX": prefix,
            "SWEEP_INTERVAL_S": "3600",  # no time-relative segment here; keep sweeps out
            "LOG_LEVEL": "WARNING",
        },
    )
    stack.start("segmenter")
    try:
        await stack.wait_ready(timeout_s=120)
        yield Segmenter(stack, database_url, prefix)
    finally:
        stack.stop()
        with contextlib.suppress(Exception):
            await drop_database(database_url)
        if not opts.keep_topics:
            with contextlib.suppress(Exception):
                await delete_prefix(opts.bootstrap, prefix)


async def create_segments(service: Segmenter, segments: list[dict]) -> float:
    """POST every segment and wait for its back-fill; seconds taken."""
    t0 = time.perf_counter()
    async with httpx.AsyncClient(base_url=service.url, timeout=3600) as client:
        for segment in segments:
            response = await client.post("/segments", json=segment)
            if response.status_code not in (201, 202):
                raise RuntimeError(f"POST /segments: {response.status_code} {response.text}")
            await backfilled(client, response.json())
    return time.perf_counter() - t0


async def backfilled(client: httpx.AsyncClient, segment: dict) -> dict:
    """The segment once its back-fill is no longer running (polling its progress)."""
    progress = segment.get("backfill") or {}
    while progress.get("status") == "running":
        await asyncio.sleep(0.1)
        progress = (await client.get(f"/segments/{segment['id']}/backfill")).json()
    return (await client.get(f"/segments/{segment['id']}")).json()


async def publish(bootstrap: str, topic: str, messages: list[tuple[str, int, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        futures = [
            await producer.send(topic, value, key=key.encode()) for key, _, value in messages
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


# --- 1. latency ----------------------------------------------------------------------------------


async def paced_round_trip(
    bootstrap: str,
    send_topic: str,
    read_topic: str,
    messages: list[tuple[str, int, bytes]],
    rate: float,
    key_of: Any,
    drain_s: float,
) -> dict:
    """Publish at `rate`, read `read_topic`; latency per message matched by `key_of(record)`,
    which returns (key, the record's own occurred_at in epoch seconds or None)."""
    # This process times both ends: a full collection over its ~150k objects (messages, the
    # Kafka clients) pauses it for ~100 ms, which would show as latency of the measured path.
    gc.collect()
    gc.freeze()
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=100
    )
    partitions = await topic_partitions(bootstrap, [read_topic])
    await reader.start()
    reader.assign(partitions)
    await reader.seek_to_end(*partitions)
    for tp in partitions:
        await reader.position(tp)
    sent: dict[tuple[str, int], float] = {}
    arrived: dict[tuple[str, int], float] = {}
    sent_wall: dict[tuple[str, int], float] = {}
    stamped: dict[tuple[str, int], float] = {}  # the membership event's occurred_at
    done_sending = asyncio.Event()

    async def read() -> None:
        while True:
            batch = await reader.getmany(timeout_ms=50)
            now = time.perf_counter()
            for records in batch.values():
                for record in records:
                    key, occurred = key_of(record)
                    if key not in arrived:
                        arrived[key] = now
                        if occurred is not None:
                            stamped[key] = occurred
            if done_sending.is_set() and len(arrived) >= len(messages):
                return

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    reading = asyncio.create_task(read())
    late = 0
    try:
        t0 = time.perf_counter()
        futures = []
        for i, (client_id, version, value) in enumerate(messages):
            delay = t0 + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.01:
                late += 1
            sent[(client_id, version)] = time.perf_counter()
            sent_wall[(client_id, version)] = time.time()
            futures.append(await producer.send(send_topic, value, key=client_id.encode()))
        await asyncio.gather(*futures)
        send_seconds = time.perf_counter() - t0
        done_sending.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(reading, timeout=drain_s)
        last_arrival = max(arrived.values(), default=None)
    finally:
        reading.cancel()
        await producer.stop()
        await reader.stop()
        gc.unfreeze()
    latencies = [arrived[k] - sent[k] for k in sent if k in arrived]
    split = {}
    if stamped:  # where the time goes, on the wall clock both processes share
        split = {
            "send_to_evaluation": percentiles([stamped[k] - sent_wall[k] for k in stamped]),
            "evaluation_to_arrival": percentiles(
                [arrived[k] - sent[k] - (stamped[k] - sent_wall[k]) for k in stamped]
            ),
        }
    return {
        "messages": len(messages),
        "matched": len(latencies),
        "offered_rate_per_s": round(len(messages) / send_seconds, 1),
        "sends_late_over_10ms": late,
        # > 0 by much more than the p50 means a backlog built up: the rate is above capacity.
        "last_arrival_after_last_send_s": round(last_arrival - (t0 + send_seconds), 3)
        if last_arrival
        else None,
        **percentiles(latencies),
        **split,
    }


def membership_key(record: Any) -> tuple[tuple[str, int], float]:
    """(client, portrait version), and when the segmenter decided the change."""
    event = json.loads(record.value)
    occurred = datetime.fromisoformat(event["occurred_at"]).timestamp()
    return (event["client_id"], event["payload"]["portrait_version"]), occurred


def portrait_key(record: Any) -> tuple[tuple[str, int], None]:
    event = json.loads(record.value)
    return (event["client_id"], event["payload"]["version"]), None


async def batch_totals(service: Segmenter) -> tuple[float, float]:
    """(seconds, count) of the segmenter's partition batches so far."""
    return (
        await service.metric("reach_batch_seconds_sum", service="segmenter"),
        await service.metric("reach_batch_seconds_count", service="segmenter"),
    )


async def create_topic(bootstrap: str, name: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        await admin.close()


async def measure_latency(opts: argparse.Namespace) -> dict:
    rates = [float(r) for r in str(opts.rate).split(",")]
    log(f"latency: {opts.segments} segments, {opts.clients:,} clients, rates {rates}/s")
    last: dict[int, int] = {}
    async with segmenter(opts) as service:
        created_s = await create_segments(
            service, synthetic_segments(opts.segments, touching=opts.touching)
        )
        setup = first_versions(opts.clients)
        await publish(opts.bootstrap, service.prefix + PORTRAITS, setup)
        if await service.wait_processed(len(setup), opts.timeout) is None:
            return {"error": "first portrait versions not processed in time"}
        baseline_topic = service.prefix + "bench.baseline"
        await create_topic(opts.bootstrap, baseline_topic, partitions=4)
        runs = []
        for repeat in range(opts.repeat):
            for rate in rates:
                runs.append(
                    {"repeat": repeat + 1}
                    | await one_rate(opts, service, rate, last, baseline_topic)
                )
        rss = service.rss_mb()
    return {
        "segments": opts.segments,
        "segments_reading_changed_field": opts.touching,
        "clients": opts.clients,
        "duration_s": opts.duration,
        "create_segments_seconds": round(created_s, 2),
        "runs": runs,
        "by_rate": by_rate(runs),
        "p99_goal_ms": 50,
        "peak_rss_mb": rss,
    }


async def one_rate(
    opts: argparse.Namespace,
    service: Segmenter,
    rate: float,
    last: dict[int, int],
    baseline_topic: str,
) -> dict:
    """One round at `rate`: the bare produce→consume baseline, then the segmenter."""
    paced = changes(opts.clients, int(rate * opts.duration), last)
    log(f"  {rate}/s baseline: bare produce -> consume")
    baseline = await paced_round_trip(
        opts.bootstrap, baseline_topic, baseline_topic, paced, rate, portrait_key, 30
    )
    processed_before = await service.processed()
    batches_before = await batch_totals(service)
    log(f"  {rate}/s segmenter: portrait -> membership event")
    subject = await paced_round_trip(
        opts.bootstrap,
        service.prefix + PORTRAITS,
        service.prefix + MEMBERSHIPS,
        paced,
        rate,
        membership_key,
        opts.timeout,
    )
    subject["processed"] = int(await service.processed() - processed_before)
    after = await batch_totals(service)
    seconds, batches = after[0] - batches_before[0], after[1] - batches_before[1]
    # One transaction per poll (every partition it returned): a change waits for the batch
    # ahead of it.
    subject["partition_batches"] = int(batches)
    subject["mean_batch_ms"] = round(seconds / batches * 1000, 1) if batches else None
    subject["mean_batch_changes"] = round(subject["processed"] / batches, 1) if batches else None
    log(
        f"    baseline p50 {baseline['p50_ms']} p99 {baseline['p99_ms']} ms; "
        f"segmenter p50 {subject['p50_ms']} p99 {subject['p99_ms']} ms"
    )
    return {
        "rate_per_s": rate,
        "changes": len(paced),
        "baseline": baseline,
        "segmenter": subject,
        "p99_ratio": round(subject["p99_ms"] / baseline["p99_ms"], 1)
        if subject["p99_ms"] and baseline["p99_ms"]
        else None,
    }


def by_rate(runs: list[dict]) -> list[dict]:
    """Each rate over the repeats: the median and the worst p50 and p99. This machine is
    shared, so one run's p99 says as much about the neighbours as about the segmenter; the
    median over repeats (`--repeat`) is the figure the goal is read against."""
    out = []
    for rate in dict.fromkeys(r["rate_per_s"] for r in runs):
        mine = [r["segmenter"] for r in runs if r["rate_per_s"] == rate]
        p99s = [m["p99_ms"] for m in mine if m["p99_ms"] is not None]
        p50s = [m["p50_ms"] for m in mine if m["p50_ms"] is not None]
        out.append(
            {
                "rate_per_s": rate,
                "repeats": len(mine),
                "p99_ms": sorted(p99s),
                "median_p99_ms": statistics.median(p99s) if p99s else None,
                "worst_p99_ms": max(p99s, default=None),
                "median_p50_ms": statistics.median(p50s) if p50s else None,
            }
        )
    return out


# --- 2. evaluation cost as segments grow ---------------------------------------------------------


@dataclass
class GrowthPoint:
    segments: int
    service: Segmenter
    last: dict[int, int]
    seconds: float = 0.0
    changes: int = 0
    handler_seconds: float = 0.0
    handled: float = 0.0

    async def round(self, opts: argparse.Namespace, count: int) -> None:
        """Publish `count` changes at once and wait until all are processed."""
        measured = changes(opts.growth_clients, count, self.last)
        metric = self.service.metric
        before = await self.service.processed()
        h_sum = await metric("reach_handler_seconds_sum", service="segmenter")
        h_count = await metric("reach_handler_seconds_count", service="segmenter")
        t0 = time.perf_counter()
        await publish(opts.bootstrap, self.service.prefix + PORTRAITS, measured)
        if await self.service.wait_processed(before + len(measured), opts.timeout) is None:
            raise RuntimeError(f"{self.segments} segments: changes not processed in time")
        self.seconds += time.perf_counter() - t0
        self.changes += len(measured)
        self.handler_seconds += (
            await metric("reach_handler_seconds_sum", service="segmenter") - h_sum
        )
        self.handled += await metric("reach_handler_seconds_count", service="segmenter") - h_count

    def result(self) -> dict:
        return {
            "segments": self.segments,
            "changes": self.changes,
            "seconds": round(self.seconds, 3),
            "changes_per_s": round(self.changes / self.seconds, 1),
            "us_per_change": round(self.seconds / self.changes * 1e6, 1),
            "handler_us_per_change": round(self.handler_seconds / self.handled * 1e6, 1)
            if self.handled
            else None,
        }


async def measure_growth(opts: argparse.Namespace) -> dict:
    """One segmenter per segment count, all running; rounds of changes alternate between them so
    that the load of a shared machine weighs on every count alike."""
    counts = [int(c) for c in opts.growth.split(",")]
    rounds = max(1, opts.growth_rounds)
    log(
        f"growth: {counts} segments, {opts.growth_clients:,} clients, "
        f"{opts.growth_changes:,} changes each in {rounds} rounds"
    )
    async with contextlib.AsyncExitStack() as stack:
        points = []
        for count in counts:
            service = await stack.enter_async_context(segmenter(opts))
            await create_segments(service, synthetic_segments(count, touching=opts.touching))
            setup = first_versions(opts.growth_clients)
            await publish(opts.bootstrap, service.prefix + PORTRAITS, setup)
            if await service.wait_processed(len(setup), opts.timeout) is None:
                return {"error": f"{count} segments: first versions not processed in time"}
            points.append(GrowthPoint(count, service, {}))
            log(f"  {count} segments ready")
        try:
            for _ in range(rounds):
                for point in points:
                    await point.round(opts, opts.growth_changes // rounds)
        except RuntimeError as error:
            return {"error": str(error)}
    results = [p.result() for p in points]
    for r in results:
        log(
            f"  {r['segments']:>5} segments: {r['us_per_change']} us/change, handler "
            f"{r['handler_us_per_change']} us"
        )
    first, last = results[0], results[-1]
    summary: dict[str, Any] = {
        "points": results,
        "segments_reading_changed_field": opts.touching,
        "rounds": rounds,
        "segments_ratio": last["segments"] / first["segments"],
        "us_per_change_ratio": round(last["us_per_change"] / first["us_per_change"], 2),
    }
    if first["handler_us_per_change"] and last["handler_us_per_change"]:
        summary["handler_us_per_change_ratio"] = round(
            last["handler_us_per_change"] / first["handler_us_per_change"], 2
        )
    return summary


# --- 3. back-fill --------------------------------------------------------------------------------


def stored_fields() -> Any:
    """How the segmenter stores a portrait (its own function when it has one)."""
    try:
        from reach_segmenter.adapters.rule_sql import portrait_json
    except ImportError:
        return lambda portrait: portrait.model_dump(mode="json")
    return portrait_json


async def insert_portraits(database_url: str, count: int) -> float:
    """COPY `count` portraits into the segmenter's table; seconds taken."""
    import asyncpg

    as_stored = stored_fields()
    templates = [as_stored(Portrait(version=1, as_of=NOW, **base_portrait(c))) for c in range(256)]
    url = make_url(database_url).set(drivername="postgresql")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    t0 = time.perf_counter()
    try:
        for start in range(0, count, 50_000):
            rows = []
            for c in range(start, min(count, start + 50_000)):
                fields = templates[c % len(templates)]
                rows.append((f"C{c:08d}", 1, json.dumps(fields)))
            await conn.copy_records_to_table(
                "portraits", records=rows, columns=["client_id", "version", "fields"]
            )
        await conn.execute("ANALYZE portraits")
    finally:
        await conn.close()
    return time.perf_counter() - t0


async def sql_count(database_url: str) -> tuple[int, float]:
    """PostgreSQL counting TYPICAL_RULE's matches in one query: (count, seconds)."""
    import asyncpg

    url = make_url(database_url).set(drivername="postgresql")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        t0 = time.perf_counter()
        found = await conn.fetchval(
            "SELECT count(*) FROM portraits WHERE (fields->>'total_assets')::numeric >= 10000"
            " AND fields->>'lifecycle_stage' = 'active' AND fields->>'churn_risk' = 'false'"
        )
        return int(found), time.perf_counter() - t0
    finally:
        await conn.close()


async def measure_backfill(opts: argparse.Namespace) -> dict:
    count = opts.backfill_portraits
    log(f"back-fill: {count:,} portraits on PostgreSQL, one typical rule")
    async with segmenter(opts) as service:
        insert_s = await insert_portraits(service.database_url, count)
        log(f"  inserted in {insert_s:.1f}s")
        expected, baseline_s = await sql_count(service.database_url)
        async with httpx.AsyncClient(base_url=service.url, timeout=3600) as client:
            t0 = time.perf_counter()
            response = await client.post(
                "/segments",
                json={"name": "bench-typical", "description": "typical", "rule": TYPICAL_RULE},
            )
            if response.status_code not in (201, 202):
                return {"error": f"POST /segments: {response.status_code} {response.text}"}
            answered_s = time.perf_counter() - t0
            segment = await backfilled(client, response.json())
            done_s = time.perf_counter() - t0
        rss = service.rss_mb()
    log(f"  back-filled in {done_s:.2f}s ({expected:,} members); SQL count {baseline_s:.2f}s")
    return {
        "portraits": count,
        "rule": TYPICAL_RULE,
        "insert_seconds": round(insert_s, 1),
        "post_answered_seconds": round(answered_s, 3),
        "backfill_seconds": round(done_s, 3),
        "portraits_per_s": round(count / done_s, 1),
        "backfill_job": segment.get("backfill"),
        "members": segment.get("member_count"),
        "members_expected": expected,
        "members_match": segment.get("member_count") == expected,
        "baseline_sql_count_seconds": round(baseline_s, 3),
        "ratio_to_sql_count": round(done_s / baseline_s, 1) if baseline_s else None,
        "goal_seconds_at_1m": 10,
        "peak_rss_mb": rss,
    }


# --- orchestration -------------------------------------------------------------------------------


def table(result: dict) -> str:
    lines = [
        f"segmenter benchmark - {result['machine']['cpus']} cpus, PostgreSQL, load average "
        f"{result['load_average_before'][0]} before, {result['load_average_after'][0]} after"
    ]
    latency = result.get("latency")
    if latency and "error" not in latency:
        lines.append(f"latency, {latency['segments']} segments (goal p99 <= 50 ms):")
        for run in latency["runs"]:
            b, s = run["baseline"], run["segmenter"]
            lines += [
                f"  {run['rate_per_s']:>6.0f}/s baseline  p50 {b['p50_ms']} p95 {b['p95_ms']} "
                f"p99 {b['p99_ms']} max {b['max_ms']} ms",
                f"  {'':>8} segmenter p50 {s['p50_ms']} p95 {s['p95_ms']} p99 {s['p99_ms']} "
                f"max {s['max_ms']} ms ({s['matched']:,}/{s['messages']:,} matched, "
                f"p99 x{run['p99_ratio']} baseline)",
            ]
        for rate in latency.get("by_rate", []):
            if rate["repeats"] > 1:
                lines.append(
                    f"  {rate['rate_per_s']:>6.0f}/s over {rate['repeats']} rounds: median p99 "
                    f"{rate['median_p99_ms']} ms, worst {rate['worst_p99_ms']} ms "
                    f"(median p50 {rate['median_p50_ms']} ms)"
                )
    growth = result.get("growth")
    if growth and "error" not in growth:
        lines.append("evaluation cost per change:")
        for p in growth["points"]:
            lines.append(
                f"  {p['segments']:>5} segments: {p.get('us_per_change', '-')} us/change wall, "
                f"{p.get('handler_us_per_change', '-')} us in the handler"
            )
        lines.append(
            f"  x{growth.get('us_per_change_ratio')} wall, x{growth.get('handler_us_per_change_ratio')}"
            f" handler for x{growth.get('segments_ratio')} segments"
        )
    backfill = result.get("backfill")
    if backfill and "error" not in backfill:
        lines.append(
            f"back-fill of {backfill['portraits']:,} portraits: {backfill['backfill_seconds']} s "
            f"({backfill['members']} members), SQL count {backfill['baseline_sql_count_seconds']} s"
        )
    return "\n".join(lines)


async def run(opts: argparse.Namespace) -> dict:
    parts = opts.only.split(",") if opts.only else ["latency", "growth", "backfill"]
    result: dict[str, Any] = {}
    if "latency" in parts:
        result["latency"] = await measure_latency(opts)
    if "growth" in parts:
        result["growth"] = await measure_growth(opts)
    if "backfill" in parts:
        result["backfill"] = await measure_backfill(opts)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", help="comma-separated: latency, growth, backfill (default all)")
    parser.add_argument("--segments", type=int, default=200, help="active segments (latency)")
    parser.add_argument(
        "--touching", type=int, default=5, help="segments reading the changed field"
    )
    parser.add_argument("--clients", type=int, default=2000, help="clients (latency)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds of every rate (latency); median reported"
    )
    parser.add_argument(
        "--rate", default="1000", help="portrait changes per second; a list runs each in turn"
    )
    parser.add_argument("--duration", type=float, default=20, help="seconds of paced changes")
    parser.add_argument("--growth", default="10,100,1000", help="segment counts (growth)")
    parser.add_argument("--growth-clients", type=int, default=1000)
    parser.add_argument("--growth-changes", type=int, default=5000, help="per segment count")
    parser.add_argument("--growth-rounds", type=int, default=5, help="alternating rounds")
    parser.add_argument("--backfill-portraits", type=int, default=100_000)
    parser.add_argument(
        "--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or "127.0.0.1:9092"
    )
    parser.add_argument("--postgres-server", default=DEFAULT_PG_SERVER)
    parser.add_argument("--timeout", type=float, default=600, help="seconds per measured phase")
    parser.add_argument("--keep-topics", action="store_true")
    parser.add_argument("--out", type=Path, help="also write the JSON result here")
    opts = parser.parse_args(argv)

    ensure_kafka(opts.bootstrap)
    ensure_postgres(opts.postgres_server)
    result = {
        "benchmark": "segment_latency",
        "command": " ".join(["bench/segment_latency.py", *(argv or sys.argv[1:])]),
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "bootstrap": opts.bootstrap,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        **asyncio.run(run(opts)),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    write_result(result, opts.out)
    print(table(result), file=sys.stderr)
    failed = any(
        isinstance(part, dict) and "error" in part
        for part in (result.get("latency"), result.get("backfill"))
    ) or "error" in result.get("growth", {})
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
