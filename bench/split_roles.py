#!/usr/bin/env python
"""What running the roles as separate processes costs a hop: profile as `all` against `split`.

The Helm chart runs each service as three processes (api, consume, relay); the demo and
`bench/pipeline.py` run one (`all`). In the one-process layout a commit wakes the relay beside
it; in the split one the consumer's commit has to reach a relay in another process (a
PostgreSQL NOTIFY, or failing that the relay's poll, `RELAY_POLL_INTERVAL_MS`).

For each layout, in the same run, on a fresh PostgreSQL database and topic prefix: profile
started in that layout (migrated first), then `--events` trades, one per new client, published
at `--rate`. Each one's latency runs from handing it to the producer to its portrait arriving
on `reach.portraits.v1` at a reader in this process. The figure is split − all per percentile:
what a hop pays for its relay being in another process.

    .venv/bin/python bench/split_roles.py [--events 400] [--rate 20] [--bootstrap 127.0.0.1:19092]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from profile_ingest import DEFAULT_PG_SERVER, delete_prefix, ensure_kafka, ensure_postgres
from reach_contracts import encode
from reach_runtime.kafka import partitions_of
from reach_runtime.stack import Stack
from reach_runtime.testing import create_database, drop_database
from reach_sim import builders as make
from segment_latency import percentiles

LAYOUTS = {"all": ("all",), "split": ("api", "consume", "relay")}
TRADES, PORTRAITS = "trading.trades.v1", "reach.portraits.v1"


def log(message: str) -> None:
    print(f"[split_roles] {message}", file=sys.stderr, flush=True)


async def one_layout(opts: argparse.Namespace, layout: str) -> dict:
    """Profile in `layout`; the latency of each trade to its portrait."""
    prefix = f"benchsplit{uuid.uuid4().hex[:8]}."
    url = await create_database(opts.postgres_server)
    env = {"KAFKA_TOPIC_PREFIX": prefix, "REACH_ENV": "test"}
    migrated = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "reach_profile", "migrate"],
        env={**os.environ, **env, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
    if migrated.returncode != 0:
        raise RuntimeError(migrated.stderr)
    stack = Stack(
        kafka_bootstrap=opts.bootstrap,
        database_urls={"profile": url},
        log_dir=Path(tempfile.mkdtemp(prefix="reach-split-")),
        env=env,
    )
    try:
        for role in LAYOUTS[layout]:
            stack.start("profile", role=role)
        await stack.wait_ready()
        return await measure(opts, prefix)
    finally:
        stack.stop()
        await drop_database(url)
        await delete_prefix(opts.bootstrap, prefix)


async def measure(opts: argparse.Namespace, prefix: str) -> dict:
    reader = AIOKafkaConsumer(
        bootstrap_servers=opts.bootstrap, enable_auto_commit=False, fetch_max_wait_ms=50
    )
    await reader.start()
    tps = await partitions_of(opts.bootstrap, [prefix + PORTRAITS])
    reader.assign(tps)
    await reader.seek_to_end(*tps)
    for tp in tps:
        await reader.position(tp)
    sent: dict[str, float] = {}
    arrived: dict[str, float] = {}

    async def read() -> None:
        while len(arrived) < opts.events:
            batches = await reader.getmany(timeout_ms=100)
            now = time.perf_counter()
            for records in batches.values():
                for record in records:
                    arrived.setdefault(json.loads(record.value)["client_id"], now)

    producer = AIOKafkaProducer(bootstrap_servers=opts.bootstrap, acks="all")
    await producer.start()
    reading = asyncio.create_task(read())
    try:
        start = time.perf_counter()
        for n in range(opts.events):
            client = f"S{n:08d}"
            value = encode(make.trade(client, datetime.now(UTC)))
            await asyncio.sleep(max(0.0, start + n / opts.rate - time.perf_counter()))
            sent[client] = time.perf_counter()
            await producer.send(prefix + TRADES, value, key=client.encode())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(reading, timeout=60)
    finally:
        reading.cancel()
        await producer.stop()
        await reader.stop()
    latencies = [arrived[c] - sent[c] for c in sent if c in arrived]
    return {"events": opts.events, "arrived": len(latencies), **percentiles(latencies)}


async def run(opts: argparse.Namespace) -> dict:
    ensure_kafka(opts.bootstrap)
    ensure_postgres(opts.postgres_server)
    result: dict = {"events": opts.events, "rate_per_s": opts.rate}
    for layout in LAYOUTS:
        log(f"{layout}: {opts.events} trades at {opts.rate}/s")
        result[layout] = await one_layout(opts, layout)
        log(f"  {result[layout]}")
    result["split_minus_all_ms"] = {
        key: round(result["split"][key] - result["all"][key], 2)
        for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms")
        if result["split"][key] is not None and result["all"][key] is not None
    }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--rate", type=float, default=20, help="trades per second")
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    parser.add_argument("--postgres-server", default=DEFAULT_PG_SERVER)
    parser.add_argument("--out", type=Path, help="also write the JSON result here")
    opts = parser.parse_args(argv)
    result = asyncio.run(run(opts))
    text = json.dumps(result, indent=2)
    print(text)
    if opts.out:
        opts.out.write_text(text)
    log(f"split - all: {result['split_minus_all_ms']}")
    return 0 if all(result[x]["arrived"] == opts.events for x in LAYOUTS) else 1


if __name__ == "__main__":
    raise SystemExit(main())
