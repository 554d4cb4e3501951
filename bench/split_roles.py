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
import json
import os
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from profile_ingest import (
    DEFAULT_PG_SERVER,
    delete_prefix,
    ensure_kafka,
    ensure_postgres,
    write_result,
)
from reach_contracts import encode
from reach_runtime.stack import Stack
from reach_runtime.testing import create_database, drop_database
from reach_sim import builders as make
from segment_latency import paced_round_trip

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
    """Trades for new clients at `--rate`, each timed to its client's first portrait."""
    now = datetime.now(UTC)
    trades = [(f"S{n:08d}", 0, encode(make.trade(f"S{n:08d}", now))) for n in range(opts.events)]
    return await paced_round_trip(
        opts.bootstrap, prefix + TRADES, prefix + PORTRAITS, trades, opts.rate, first_portrait, 60
    )


def first_portrait(record: Any) -> tuple[tuple[str, int], None]:
    """A portrait's client, matched to the trade sent as (client, 0); later versions arrive
    after the first and are not counted again."""
    return (json.loads(record.value)["client_id"], 0), None


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
    write_result(result, opts.out)
    log(f"split - all: {result['split_minus_all_ms']}")
    return 0 if all(result[x]["matched"] == opts.events for x in LAYOUTS) else 1


if __name__ == "__main__":
    raise SystemExit(main())
