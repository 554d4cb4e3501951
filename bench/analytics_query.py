"""Analytics: ingest rate next to a bare consume, and result queries for a campaign of 1M clients.

    .venv/bin/python bench/analytics_query.py                                  # both parts
    .venv/bin/python bench/analytics_query.py --only query --clients 1000000 --queries 200
    .venv/bin/python bench/analytics_query.py --only ingest --ingest-clients 20000

1. ingest: one campaign's story for --ingest-clients clients (a decision each: 90% requested,
   10% held out; a delivery.sent per request; a delivered receipt for 70% of sends; a trade for
   12% of the clients two days later and a login for half of them) is published under a fresh
   topic prefix (`bench<hex>.`, deleted afterwards).  Baseline: a bare AIOKafkaConsumer (no
   group, every partition assigned, read from the beginning, `json.loads` per message) reads the
   same messages.  Subject: the analytics service, every role in this process
   (`reach_runtime.testing.running`) on a fresh PostgreSQL database, timed from ready until
   `reach_events_processed_total{service="analytics"}` reaches the published count.
2. query: --clients decisions of one campaign, with their deliveries, receipts and touches
   (8% of the treated and 6% of the held-out clients converted; two variants, two channels, two
   script versions, four segments), are COPYed straight into a fresh PostgreSQL database and
   the campaign's counts are computed once from them (`store_recount`, the bulk-load path).
   Then `GET /campaigns/{id}`, `/funnel`, `/uplift`, `/uplift?by=variant`, `/daily` and the
   list `GET /campaigns` are called --queries times each through the HTTP stack (in-process
   ASGI: no network) with p50/p99.  Baseline (before pre-aggregation): the campaign, funnel,
   uplift and daily results computed from the rows (`from_rows=True`, the read path before
   campaign_counts), --before-queries times.

JSON goes to stdout (and to --out when given); a short table to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from profile_ingest import (
    DEFAULT_PG_SERVER,
    delete_prefix,
    ensure_kafka,
    ensure_postgres,
    write_result,
)
from reach_runtime.testing import create_database, drop_database
from segment_latency import percentiles
from sqlalchemy.engine import make_url

CAMPAIGN = "CMP-bench"
T = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def log(message: str) -> None:
    print(f"[analytics_query] {message}", file=sys.stderr, flush=True)


# --- ingest --------------------------------------------------------------------------------------


def ingest_events(clients: int, seed: int) -> list[tuple[str, Any]]:
    """(topic, event) of one campaign's story, built from the contracts' examples."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services/analytics/tests"))
    from scenario import delivery, held_out, make, requested, trade

    rng = random.Random(seed)
    out: list[tuple[str, Any]] = []
    goal = {"goal": "trade.executed", "window": 7, "segment_id": "SEG-bench"}
    for n in range(clients):
        client = f"B{n:08d}"
        variant = "A" if n % 2 else "B"
        if rng.random() < 0.10:
            out.append(
                ("reach.outreach.v1", held_out(CAMPAIGN, client, T, **goal, variant=variant))
            )
        else:
            out.append(
                (
                    "reach.outreach.v1",
                    requested(CAMPAIGN, client, T, **goal, variant=variant, channel="sms"),
                )
            )
            sent = T + timedelta(minutes=1)
            out.append(
                (
                    "reach.deliveries.v1",
                    delivery("delivery.sent", CAMPAIGN, client, sent, channel="sms", attempt=1),
                )
            )
            if rng.random() < 0.7:
                receipt = delivery(
                    "delivery.receipted", CAMPAIGN, client, sent, channel="sms", status="delivered"
                )
                out.append(("reach.deliveries.v1", receipt))
        if rng.random() < 0.12:
            out.append(("trading.trades.v1", trade(client, T + timedelta(days=2))))
        if rng.random() < 0.5:
            login = make("login.succeeded", f"lgn-{client}", client, T + timedelta(days=1))
            out.append(("trading.logins.v1", login))
    return out


async def publish(bootstrap: str, prefix: str, events: list[tuple[str, Any]]) -> list[bytes]:
    from aiokafka import AIOKafkaProducer
    from reach_contracts import encode
    from reach_runtime.kafka import ensure_topics

    topics = sorted({prefix + t for t, _ in events})
    await ensure_topics(bootstrap, topics, partitions=4, compacted=frozenset())
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=20
    )
    await producer.start()
    values = []
    try:
        for topic, event in events:
            value = encode(event)
            values.append(value)
            await producer.send(prefix + topic, value, key=event.client_id.encode())
        await producer.flush()
    finally:
        await producer.stop()
    return values


async def bare_consume(bootstrap: str, topics: list[str], expect: int, timeout_s: float) -> float:
    """Seconds for a bare consumer to read and json.loads `expect` messages."""
    from aiokafka import AIOKafkaConsumer
    from profile_ingest import topic_partitions

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        group_id=None,
        max_poll_records=500,
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        partitions = await topic_partitions(bootstrap, topics)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        seen, started = 0, time.perf_counter()
        while seen < expect and time.perf_counter() - started < timeout_s:
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            for records in batches.values():
                for record in records:
                    json.loads(record.value)
                seen += len(records)
        return time.perf_counter() - started
    finally:
        await consumer.stop()


def processed(service: str) -> float:
    from prometheus_client import REGISTRY

    return sum(
        sample.value
        for family in REGISTRY.collect()
        if family.name == "reach_events_processed"
        for sample in family.samples
        if sample.name.endswith("_total") and sample.labels.get("service") == service
    )


async def measure_ingest(opts: argparse.Namespace) -> dict:
    from reach_analytics.bootstrap import bootstrap
    from reach_analytics.settings import AnalyticsSettings
    from reach_runtime.testing import running

    events = ingest_events(opts.ingest_clients, opts.seed)
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    log(f"ingest: publishing {len(events)} events of {opts.ingest_clients} clients under {prefix}")
    await publish(opts.bootstrap, prefix, events)
    topics = sorted({prefix + t for t, _ in events})
    database = await create_database(opts.postgres_server)
    try:
        baseline_s = await bare_consume(opts.bootstrap, topics, len(events), opts.timeout)
        log(f"ingest: bare consume {len(events) / baseline_s:,.0f} events/s")
        settings = AnalyticsSettings(
            database_url=database,
            kafka_bootstrap_servers=opts.bootstrap,
            kafka_topic_prefix=prefix,
            relay_poll_interval_ms=200,
        )
        started_up = time.perf_counter()
        async with running(bootstrap(settings)) as _:
            ready = time.perf_counter()
            before = processed("analytics")
            while processed("analytics") - before < len(events):
                if time.perf_counter() - ready > opts.timeout:
                    break
                await asyncio.sleep(0.2)  # collecting the registry costs CPU here
            ingest_s = time.perf_counter() - ready
            done = processed("analytics") - before
    finally:
        await drop_database(database)
        if not opts.keep_topics:
            await delete_prefix(opts.bootstrap, prefix)
    rate, base = done / ingest_s, len(events) / baseline_s
    return {
        "events": len(events),
        "clients": opts.ingest_clients,
        "processed": int(done),
        "complete": done >= len(events),
        "startup_s": round(ready - started_up, 2),
        "baseline_events_per_s": round(base),
        "analytics_events_per_s": round(rate),
        "ratio": round(rate / base, 3),
        "us_per_event": round(ingest_s / max(done, 1) * 1e6, 1),
    }


# --- query ---------------------------------------------------------------------------------------


def rows_for(clients: int, seed: int) -> dict[str, list[tuple]]:
    """Rows of one campaign of `clients` decisions, as the handlers would have written them."""
    rng = random.Random(seed)
    out: dict[str, list[tuple]] = {"outreach": [], "deliveries": [], "receipts": [], "touches": []}
    sent = T + timedelta(minutes=1)
    for n in range(clients):
        client, key = f"B{n:08d}", f"{CAMPAIGN}:B{n:08d}"
        variant, segment = ("A", "B")[n % 2], f"SEG-{n % 4}"
        channel, script = ("sms", "email")[n % 3 == 0], f"S-{n % 3 == 0}@{1 + n % 2}"
        roll = rng.random()
        decision = "held_out" if roll < 0.10 else "suppressed" if roll < 0.12 else "requested"
        gate, reason = (
            ("consent", "no consent for sms marketing")
            if decision == "suppressed"
            else (None, None)
        )
        out["outreach"].append(
            (key, CAMPAIGN, "bench campaign", client, decision == "held_out", T, decision, gate,
             reason, variant, channel if decision == "requested" else None,
             script if decision == "requested" else None, segment, "trade.executed", 7)
        )  # fmt: skip
        if decision == "suppressed":
            continue
        if decision == "requested":
            out["deliveries"].append((key, "sent", channel, sent, CAMPAIGN, client, sent, None))
            if rng.random() < 0.7:
                out["receipts"].append((key, "delivered", CAMPAIGN, channel, sent))
            if rng.random() < 0.2:
                out["receipts"].append((key, "opened", CAMPAIGN, channel, sent))
        arm = "holdout" if decision == "held_out" else "treated"
        converted = rng.random() < (0.06 if arm == "holdout" else 0.08)
        at = sent if arm == "treated" else T
        out["touches"].append(
            (CAMPAIGN, client, arm, key, at, "trade.executed", 7.0, variant,
             channel if arm == "treated" else None, script if arm == "treated" else None,
             segment, at + timedelta(days=2) if converted else None,
             Decimal("9000.0000") if converted else None)
        )  # fmt: skip
    return out


COLUMNS = {
    "outreach": (
        "idempotency_key", "campaign_id", "campaign_name", "client_id", "held_out", "decided_at",
        "decision", "gate", "reason", "variant", "channel", "script_version", "segment_id",
        "goal_event", "window_days",
    ),
    "deliveries": (
        "idempotency_key", "status", "channel", "at", "campaign_id", "client_id", "sent_at",
        "reason",
    ),
    "receipts": ("idempotency_key", "status", "campaign_id", "channel", "at"),
    "touches": (
        "campaign_id", "client_id", "arm", "idempotency_key", "touched_at", "goal_event",
        "window_days", "variant", "channel", "script_version", "segment_id", "converted_at",
        "converted_amount",
    ),
}  # fmt: skip


async def bulk_load(database: str, clients: int, seed: int) -> dict[str, Any]:
    import asyncpg

    rows = rows_for(clients, seed)
    url = make_url(database).set(drivername="postgresql")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    started = time.perf_counter()
    try:
        for table, records in rows.items():
            await conn.copy_records_to_table(table, records=records, columns=COLUMNS[table])
        copied = time.perf_counter() - started
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return {
        "rows": {t: len(r) for t, r in rows.items()},
        "copy_s": round(copied, 1),
        "copy_and_analyze_s": round(time.perf_counter() - started, 1),
    }


async def timed(call: Any, times: int) -> list[float]:
    durations = []
    for _ in range(times):
        started = time.perf_counter()
        await call()
        durations.append(time.perf_counter() - started)
    return durations


async def measure_query(opts: argparse.Namespace) -> dict:
    from reach_analytics.adapters import reports
    from reach_analytics.adapters.counts import store_recount
    from reach_analytics.bootstrap import bootstrap
    from reach_analytics.settings import AnalyticsSettings
    from reach_runtime import migrations
    from reach_runtime.service import Runtime, create_app

    database = await create_database(opts.postgres_server)
    try:
        settings = AnalyticsSettings(database_url=database, kafka_bootstrap_servers=opts.bootstrap)
        definition = bootstrap(settings)
        await asyncio.to_thread(
            migrations.upgrade, definition.migrations, definition.metadata, database
        )
        log(f"query: loading {opts.clients:,} decisions of one campaign")
        load = await bulk_load(database, opts.clients, opts.seed)
        log(f"query: loaded in {load['copy_and_analyze_s']} s")
        runtime = Runtime(definition)
        try:
            async with runtime.sessions() as session:
                started = time.perf_counter()
                await store_recount(session, CAMPAIGN)
                await session.commit()
                load["recount_s"] = round(time.perf_counter() - started, 2)
            endpoints = {
                "campaign": f"/campaigns/{CAMPAIGN}",
                "funnel": f"/campaigns/{CAMPAIGN}/funnel",
                "uplift": f"/campaigns/{CAMPAIGN}/uplift",
                "uplift_by_variant": f"/campaigns/{CAMPAIGN}/uplift?by=variant",
                "daily": f"/campaigns/{CAMPAIGN}/daily",
                "list": "/campaigns",
            }
            transport = httpx.ASGITransport(app=create_app(runtime, roles=("api",)))
            after: dict[str, Any] = {}
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                for name, path in endpoints.items():
                    response = await http.get(path)
                    assert response.status_code == 200, response.text

                    async def call(path: str = path) -> None:
                        (await http.get(path)).raise_for_status()

                    after[name] = percentiles(await timed(call, opts.queries))
                    log(f"query: {name} {after[name]}")
                body = (await http.get(endpoints["campaign"])).json()
            before: dict[str, Any] = {}
            rows_path = {
                "campaign": lambda s: reports.campaign_report(s, CAMPAIGN, from_rows=True),
                "funnel": lambda s: reports.funnel(s, CAMPAIGN, from_rows=True),
                "uplift": lambda s: reports.uplift_by(s, CAMPAIGN, "campaign", from_rows=True),
                "daily": lambda s: reports.daily(s, CAMPAIGN, from_rows=True),
            }
            for name, compute in rows_path.items():

                async def from_rows(compute: Any = compute) -> None:
                    async with runtime.sessions() as session:
                        await compute(session)

                before[name] = percentiles(await timed(from_rows, opts.before_queries))
                log(f"query (from rows): {name} {before[name]}")
        finally:
            await runtime.engine.dispose()
    finally:
        await drop_database(database)
    return {
        "clients": opts.clients,
        "load": load,
        "treated": body["treated"],
        "holdout": body["holdout"],
        "queries": opts.queries,
        "after_pre_aggregation": after,
        "before_queries": opts.before_queries,
        "before_from_rows": before,
        "goal_p99_ms": 200,
        "goal_met": all(after[k]["p99_ms"] <= 200 for k in ("campaign", "funnel", "uplift")),
    }


# --- main ----------------------------------------------------------------------------------------


async def run(opts: argparse.Namespace) -> dict:
    only = set(opts.only.split(",")) if opts.only else {"ingest", "query"}
    ensure_kafka(opts.bootstrap)
    ensure_postgres(opts.postgres_server)
    result: dict[str, Any] = {
        "benchmark": "analytics_query",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    if "ingest" in only:
        result["ingest"] = await measure_ingest(opts)
    if "query" in only:
        result["query"] = await measure_query(opts)
    return result


def table(result: dict) -> str:
    lines = []
    if "ingest" in result:
        i = result["ingest"]
        lines.append(
            f"ingest  {i['events']:>9,} events  bare {i['baseline_events_per_s']:>8,}/s  "
            f"analytics {i['analytics_events_per_s']:>7,}/s  ratio {i['ratio']}"
        )
    if "query" in result:
        q = result["query"]
        lines.append(f"query   {q['clients']:,} clients  (p50 / p99 ms)")
        for name, after in q["after_pre_aggregation"].items():
            before = q["before_from_rows"].get(name)
            was = f"   from rows {before['p50_ms']} / {before['p99_ms']}" if before else ""
            lines.append(f"  {name:<18} {after['p50_ms']:>8} / {after['p99_ms']:<8}{was}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", help="comma-separated: ingest, query (default both)")
    parser.add_argument("--clients", type=int, default=1_000_000, help="decisions (query)")
    parser.add_argument("--queries", type=int, default=200, help="calls per endpoint")
    parser.add_argument("--before-queries", type=int, default=5, help="from-rows computations")
    parser.add_argument("--ingest-clients", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    )
    parser.add_argument("--postgres-server", default=DEFAULT_PG_SERVER)
    parser.add_argument("--timeout", type=float, default=900, help="seconds per measured phase")
    parser.add_argument("--keep-topics", action="store_true")
    parser.add_argument("--out", type=Path, help="also write the JSON result here")
    opts = parser.parse_args(argv)
    result = asyncio.run(run(opts))
    write_result(result, opts.out)
    print(table(result), file=sys.stderr)
    complete = result.get("ingest", {}).get("complete", True)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
