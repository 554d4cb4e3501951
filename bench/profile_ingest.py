"""Profile service ingest throughput against a bare aiokafka consumer, in the same run.

    .venv/bin/python bench/profile_ingest.py --clients 10000 --days 5 [--database postgres|sqlite]
    .venv/bin/python bench/profile_ingest.py --scale 10000,100000 --days 2
    .venv/bin/python bench/profile_ingest.py --clients 2000 --days 3 --out bench/results/x.json

For each client count:

1. the simulator's realistic event mix (reach_sim population + Brokerage history) is published
   under a fresh topic prefix (`bench<hex>.`) to the broker at --bootstrap;
2. baseline: a bare aiokafka consumer in its own process (no group; all partitions of the same
   upstream topics assigned and read from the beginning) reads every message and json-decodes
   it, timed from the first poll to the last message -> events/s.  A second, informational
   pass decodes with the contracts (`reach_contracts.decode`, pydantic validation) instead;
3. subject: the profile service in its own process, in-process roles (`reach_runtime.testing.
   running`: migrations, consumer, outbox relay, API) on a fresh PostgreSQL database or SQLite
   file.  "ingest" is the time from the service being ready until reach_events_processed_total
   (delta, summed over labels) reaches the published count; "ingest+emit" also waits until the
   outbox is empty, i.e. every portrait version is acknowledged by Kafka.  Start-up
   (migrations, topic creation, consumer start) is reported separately.

Each measured role runs in a fresh child process, and peak RSS is that process's VmHWM
(ru_maxrss is reported too, but after vfork+exec it carries the parent's peak).
JSON goes to stdout (and to --out when given); a short table to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PG_SERVER = "postgresql+asyncpg://reach:reach@127.0.0.1:55432/postgres"
SERVICE = "profile"


# --- small helpers -------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[profile_ingest] {message}", file=sys.stderr, flush=True)


def write_result(result: dict, out: Path | None, *, indent: int = 2) -> None:
    """A benchmark's JSON result on stdout, and in `out` when given."""
    text = json.dumps(result, indent=indent, ensure_ascii=False, default=str)
    print(text)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")


def peak_rss_kb() -> int:
    """Peak resident set size of this process so far, KiB.

    VmHWM of /proc/self/status where there is one: getrusage's ru_maxrss keeps the parent's
    high-water mark across subprocess's vfork+exec, so a child started by a big parent reports
    the parent's peak.  Elsewhere, ru_maxrss (KiB on Linux).
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def cpu_seconds() -> float:
    """User + system CPU time of this process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_ticks() -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs from /proc/stat, or None elsewhere."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def ru_maxrss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def upstream_topics(prefix: str) -> list[str]:
    from reach_contracts import TOPICS

    return [prefix + name for name, t in TOPICS.items() if t.producer == "upstream"]


def port_answers(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def host_port(address: str) -> tuple[str, int]:
    host, _, port = address.split(",")[0].strip().rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def ensure_kafka(bootstrap: str) -> None:
    host, port = host_port(bootstrap)
    if port_answers(host, port):
        return
    log(f"no broker on {bootstrap}; starting one with infra/kafka/kafka.sh")
    env = {**os.environ, "KAFKA_PORT": str(port)}
    subprocess.run([str(ROOT / "infra/kafka/kafka.sh"), "start"], env=env, check=True)


def ensure_postgres(server_url: str) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    if port_answers(url.host or "127.0.0.1", url.port or 5432):
        return
    log(f"no PostgreSQL on {url.host}:{url.port}; starting one with infra/postgres/postgres.sh")
    env = {**os.environ, "PG_PORT": str(url.port or 55432)}
    subprocess.run([str(ROOT / "infra/postgres/postgres.sh"), "start"], env=env, check=True)


def counter_total(metric: Any, **match: str) -> float:
    """Sum of a prometheus_client Counter's `_total` samples whose labels include `match`."""
    total = 0.0
    for family in metric.collect():
        for sample in family.samples:
            if sample.name.endswith("_total") and all(
                sample.labels.get(k) == v for k, v in match.items()
            ):
                total += sample.value
    return total


def histogram_sum(metric: Any, **match: str) -> tuple[float, float]:
    """(sum, count) of a Histogram over the label sets matching `match`."""
    total, count = 0.0, 0.0
    for family in metric.collect():
        for sample in family.samples:
            if not all(sample.labels.get(k) == v for k, v in match.items()):
                continue
            if sample.name.endswith("_sum"):
                total += sample.value
            elif sample.name.endswith("_count"):
                count += sample.value
    return total, count


# --- role: baseline (child process) ---------------------------------------------------------------


async def topic_partitions(bootstrap: str, topics: list[str]) -> list[Any]:
    """Every partition of the given topics (from the broker's metadata)."""
    from aiokafka import TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return sorted(
        TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]
    )


async def baseline(
    bootstrap: str, prefix: str, expect: int, decoder: str, timeout_s: float
) -> dict:
    from aiokafka import AIOKafkaConsumer

    if decoder == "contract":
        from reach_contracts import decode

        logical = {prefix + name: name for name in upstream_topics("")}

        def handle(record: Any) -> None:
            decode(logical[record.topic], record.value)

    else:

        def handle(record: Any) -> None:
            json.loads(record.value)

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",  # as the service reads
        max_poll_records=500,
    )
    await consumer.start()
    try:
        partitions = await topic_partitions(bootstrap, upstream_topics(prefix))
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        available = sum(ends.values())
        seen = 0
        started = time.perf_counter()
        last = started
        deadline = started + timeout_s
        while seen < expect and time.perf_counter() < deadline:
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            for records in batches.values():
                for record in records:
                    handle(record)
                seen += len(records)
                last = time.perf_counter()
        seconds = last - started
    finally:
        await consumer.stop()
    return {
        "decoder": decoder,
        "events": seen,
        "available": available,
        "complete": seen >= expect,
        "seconds": round(seconds, 3),
        "events_per_s": round(seen / seconds, 1) if seconds > 0 else None,
        "peak_rss_mb": round(peak_rss_kb() / 1024, 1),
    }


# --- role: profile service (child process) --------------------------------------------------------


def _frame_breakdown(session: Any, top: int = 15) -> dict:
    """Self time by function and by package, and inclusive time of a few service functions."""
    root = session.root_frame()
    if root is None:
        return {}
    by_function: dict[str, float] = {}
    by_package: dict[str, float] = {}
    inclusive: dict[str, float] = {}

    def package_of(path: str | None) -> str:
        if not path:
            return "?"
        p = path.replace("\\", "/")
        for marker in ("/site-packages/", "/src/"):
            if marker in p:
                return p.split(marker, 1)[1].split("/", 1)[0].removesuffix(".py")
        if "/lib/python" in p:
            return "stdlib:" + p.rsplit("/lib/python", 1)[1].split("/", 2)[1].removesuffix(".py")
        return p.rsplit("/", 1)[-1]

    def walk(frame: Any, ancestors: frozenset[str]) -> None:
        if frame.is_synthetic:
            return
        key = f"{frame.function} ({(frame.file_path_short or '?')}:{frame.line_no})"
        own = frame.total_self_time
        by_function[key] = by_function.get(key, 0.0) + own
        package = package_of(frame.file_path)
        by_package[package] = by_package.get(package, 0.0) + own
        if key not in ancestors and "reach_" in (frame.file_path or ""):
            inclusive[key] = inclusive.get(key, 0.0) + frame.time  # our code, callees included
        for child in frame.children:
            walk(child, ancestors | {key})

    walk(root, frozenset())
    total = root.time or 1.0

    def pick(times: dict[str, float]) -> list[dict]:
        return [
            {"where": k, "seconds": round(v, 3), "share": round(v / total, 3)}
            for k, v in sorted(times.items(), key=lambda kv: -kv[1])[:top]
        ]

    return {
        "sampled_seconds": round(total, 3),
        "self_time_by_package": pick(by_package),
        "self_time_by_function": pick(by_function),
        "inclusive_by_function": pick(inclusive),
    }


def write_profile(profiler: Any, html: Path) -> None:
    """The sampled profile as HTML, and its full text tree next to it (.txt)."""
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text(profiler.output_html(), encoding="utf-8")
    html.with_suffix(".txt").write_text(
        profiler.output_text(unicode=False, color=False, show_all=True), encoding="utf-8"
    )


async def profile_service(
    *,
    database_url: str,
    bootstrap: str,
    prefix: str,
    expect: int,
    timeout_s: float,
    pyinstrument_html: str | None,
    use_pyinstrument: bool,
) -> dict:
    import prometheus_client  # noqa: F401
    from reach_profile.bootstrap import bootstrap as build
    from reach_profile.settings import ProfileSettings
    from reach_runtime import metrics
    from reach_runtime.db import outbox
    from reach_runtime.testing import running
    from sqlalchemy import func, select, text

    rss_imported = peak_rss_kb()
    settings = ProfileSettings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        kafka_topic_prefix=prefix,
        relay_poll_interval_ms=50,
    )

    def processed() -> float:
        return counter_total(metrics.processed, service=SERVICE)

    before = {
        "processed": processed(),
        "relayed": counter_total(metrics.relayed, service=SERVICE),
        "duplicates": counter_total(metrics.duplicates, service=SERVICE),
        "dead": counter_total(metrics.dead_lettered, service=SERVICE),
        "skipped": counter_total(metrics.skipped, service=SERVICE),
    }
    profiler = None
    timed_out = False
    t0 = time.perf_counter()
    async with running(build(settings)) as (runtime, _client):
        t_ready = time.perf_counter()
        rss_ready = peak_rss_kb()
        cpu_ready, ticks_ready = cpu_seconds(), machine_ticks()
        if use_pyinstrument:
            from pyinstrument import Profiler

            # "disabled": sample the whole thread (every task of the loop), not one task.
            profiler = Profiler(interval=0.001, async_mode="disabled")
            profiler.start()
        deadline = t_ready + timeout_s
        progress_at = t_ready + 30
        t_first = None
        while processed() - before["processed"] < expect:
            now = time.perf_counter()
            if t_first is None and processed() > before["processed"]:
                t_first = now
            if now > deadline:
                timed_out = True
                break
            if now > progress_at:
                done = processed() - before["processed"]
                log(f"  profile: {done:,.0f}/{expect:,} processed after {now - t_ready:.0f}s")
                progress_at = now + 30
            await asyncio.sleep(0.02)
        t_ingested = time.perf_counter()
        cpu_ingest, ticks_ingested = cpu_seconds() - cpu_ready, machine_ticks()
        done_ingest = processed() - before["processed"]
        if profiler is not None:
            profiler.stop()
        rss_ingested = peak_rss_kb()

        async def outbox_rows() -> int:
            async with runtime.sessions() as session, session.begin():
                return int(await session.scalar(select(func.count()).select_from(outbox)) or 0)

        t_emitted = None
        if not timed_out:
            while time.perf_counter() < deadline:
                if await outbox_rows() == 0:
                    t_emitted = time.perf_counter()
                    break
                await asyncio.sleep(0.05)
            timed_out = t_emitted is None
        async with runtime.sessions() as session, session.begin():
            versions = int(await session.scalar(text("SELECT count(*) FROM portrait_changes")))
            portraits = int(await session.scalar(text("SELECT count(*) FROM portraits")))
        after = {
            "relayed": counter_total(metrics.relayed, service=SERVICE),
            "duplicates": counter_total(metrics.duplicates, service=SERVICE),
            "dead": counter_total(metrics.dead_lettered, service=SERVICE),
            "skipped": counter_total(metrics.skipped, service=SERVICE),
        }
        batch_sum, batch_count = histogram_sum(metrics.batch_seconds, service=SERVICE)
        handler_sum, handler_count = histogram_sum(metrics.handler_seconds, service=SERVICE)
    ingest_s = t_ingested - t_ready
    result: dict[str, Any] = {
        "events_processed": int(done_ingest),
        "complete": not timed_out,
        "startup_seconds": round(t_ready - t0, 3),
        "first_batch_after_seconds": round(t_first - t_ready, 3) if t_first else None,
        "ingest_seconds": round(ingest_s, 3),
        "ingest_events_per_s": round(done_ingest / ingest_s, 1) if ingest_s > 0 else None,
        "ingest_emit_seconds": round(t_emitted - t_ready, 3) if t_emitted else None,
        "ingest_emit_events_per_s": round(done_ingest / (t_emitted - t_ready), 1)
        if t_emitted
        else None,
        "portraits": portraits,
        "portrait_versions": versions,
        "portraits_relayed": int(after["relayed"] - before["relayed"]),
        "duplicates": int(after["duplicates"] - before["duplicates"]),
        "dead_lettered": int(after["dead"] - before["dead"]),
        "skipped": int(after["skipped"] - before["skipped"]),
        "batches": int(batch_count),
        "mean_batch_events": round(handler_count / batch_count, 1) if batch_count else None,
        # Share of the ingest wall time spent inside batch transactions / inside handlers.
        "batch_time_share": round(batch_sum / ingest_s, 3) if ingest_s > 0 else None,
        "handler_time_share": round(handler_sum / ingest_s, 3) if ingest_s > 0 else None,
        # CPU of this process during ingest over its wall time (1.0 = one core busy throughout);
        # the machine's share covers every process (PostgreSQL, the Kafka broker, ...).
        "process_cpu_share": round(cpu_ingest / ingest_s, 3) if ingest_s > 0 else None,
        "machine_cpu_busy_share": round(
            (ticks_ingested[0] - ticks_ready[0]) / max(ticks_ingested[1] - ticks_ready[1], 1), 3
        )
        if ticks_ready and ticks_ingested
        else None,
        "rss_after_imports_mb": round(rss_imported / 1024, 1),
        "rss_at_ready_mb": round(rss_ready / 1024, 1),
        "rss_after_ingest_mb": round(rss_ingested / 1024, 1),
        "peak_rss_mb": round(peak_rss_kb() / 1024, 1),
        "ru_maxrss_mb": round(ru_maxrss_kb() / 1024, 1),  # see peak_rss_kb: may be the parent's
    }
    if profiler is not None:
        session = profiler.last_session
        result["pyinstrument"] = _frame_breakdown(session)
        result["pyinstrument_note"] = "rates of a profiled run are lower; not benchmark figures"
        print(
            profiler.output_text(unicode=False, color=False, show_all=False, timeline=False),
            file=sys.stderr,
        )
        if pyinstrument_html:
            write_profile(profiler, Path(pyinstrument_html))
    return result


# --- orchestration (parent process) ---------------------------------------------------------------


def run_child(args: list[str], timeout_s: float) -> dict:
    """Run this script in a role; its last stdout line is its JSON result."""
    command = [sys.executable, str(Path(__file__).resolve()), *args]
    try:
        done = subprocess.run(
            command, stdout=subprocess.PIPE, stderr=None, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"child timed out after {timeout_s:.0f}s (killed)"}
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or not lines:
        return {"error": f"child exited {done.returncode}"}
    return json.loads(lines[-1])


async def publish_events(opts: argparse.Namespace, clients: int, prefix: str) -> dict:
    from reach_sim.brokerage import Brokerage
    from reach_sim.output import publish
    from reach_sim.population import population

    start = opts.start or (date.today() - timedelta(days=opts.days))
    t0 = time.perf_counter()
    people = population(clients, seed=opts.seed, start=start, days=opts.days)
    events = list(Brokerage(people, seed=opts.seed, start=start, days=opts.days).history())
    t1 = time.perf_counter()
    counts = await publish(events, bootstrap=opts.bootstrap, prefix=prefix, progress=False)
    t2 = time.perf_counter()
    by_type: dict[str, int] = {}
    for event in events:
        by_type[event.event_type] = by_type.get(event.event_type, 0) + 1
    return {
        "events": sum(counts.values()),
        "start": start.isoformat(),
        "generate_seconds": round(t1 - t0, 2),
        "publish_seconds": round(t2 - t1, 2),
        "publish_events_per_s": round(sum(counts.values()) / (t2 - t1), 1),
        "by_topic": dict(sorted(counts.items())),
        "by_event_type": dict(sorted(by_type.items(), key=lambda kv: -kv[1])),
    }


async def delete_prefix(bootstrap: str, prefix: str) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()


async def database_bytes(url: str) -> int:
    import asyncpg
    from sqlalchemy.engine import make_url

    target = make_url(url)
    conn = await asyncpg.connect(
        target.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        return int(await conn.fetchval("SELECT pg_database_size(current_database())"))
    finally:
        await conn.close()


def measure(opts: argparse.Namespace, clients: int) -> dict:
    from reach_runtime.testing import create_database, drop_database

    prefix = f"bench{uuid.uuid4().hex[:10]}."
    log(f"{clients:,} clients x {opts.days} days, prefix {prefix}, database {opts.database}")
    published = asyncio.run(publish_events(opts, clients, prefix))
    events = published["events"]
    log(
        f"  published {events:,} events in {published['publish_seconds']}s "
        f"(generated in {published['generate_seconds']}s)"
    )
    common = ["--bootstrap", opts.bootstrap, "--prefix", prefix, "--expect", str(events)]
    child_timeout = opts.timeout + 120
    run: dict[str, Any] = {"clients": clients, "days": opts.days, "events": events}
    run["baseline"] = run_child(
        ["--role", "baseline", "--decoder", "json", *common, "--timeout", str(opts.timeout)],
        child_timeout,
    )
    log(f"  baseline (json): {run['baseline'].get('events_per_s')} ev/s")
    if not opts.no_contract_baseline:
        run["baseline_contract_decode"] = run_child(
            [
                "--role",
                "baseline",
                "--decoder",
                "contract",
                *common,
                "--timeout",
                str(opts.timeout),
            ],
            child_timeout,
        )
        log(
            f"  baseline (contract decode): {run['baseline_contract_decode'].get('events_per_s')} ev/s"
        )

    tmp_dir = None
    if opts.database == "postgres":
        database_url = asyncio.run(create_database(opts.postgres_server))
    else:
        tmp_dir = tempfile.mkdtemp(prefix="profile_ingest_")
        database_url = f"sqlite+aiosqlite:///{tmp_dir}/profile.db"
    extra = ["--pyinstrument"] if opts.pyinstrument else []
    if opts.pyinstrument_html:
        extra += ["--pyinstrument-html", opts.pyinstrument_html]
    try:
        run["profile"] = run_child(
            [
                "--role",
                "profile",
                "--database-url",
                database_url,
                *common,
                "--timeout",
                str(opts.timeout),
                *extra,
            ],
            child_timeout,
        )
        if opts.database == "postgres":
            with contextlib.suppress(Exception):
                run["database_bytes"] = asyncio.run(database_bytes(database_url))
        else:
            db = Path(tmp_dir) / "profile.db"
            run["database_bytes"] = sum(
                p.stat().st_size for p in db.parent.glob("profile.db*") if p.is_file()
            )
    finally:
        if opts.database == "postgres":
            with contextlib.suppress(Exception):
                asyncio.run(drop_database(database_url))
        elif tmp_dir:
            shutil.rmtree(tmp_dir, ignore_errors=True)
        if not opts.keep_topics:
            with contextlib.suppress(Exception):
                asyncio.run(delete_prefix(opts.bootstrap, prefix))
    run["published"] = published
    summarize(run)
    return run


def summarize(run: dict) -> None:
    """Derived figures: ratios, time per event, memory per client."""
    base = run["baseline"].get("events_per_s")
    prof = run["profile"]
    ingest = prof.get("ingest_events_per_s")
    emit = prof.get("ingest_emit_events_per_s")
    clients = run["clients"]
    summary: dict[str, Any] = {
        "baseline_events_per_s": base,
        "profile_ingest_events_per_s": ingest,
        "profile_ingest_emit_events_per_s": emit,
        "ratio_ingest": round(ingest / base, 3) if base and ingest else None,
        "ratio_ingest_emit": round(emit / base, 3) if base and emit else None,
        "ratio_goal": 0.25,
        "us_per_event_baseline": round(1e6 / base, 1) if base else None,
        "us_per_event_ingest": round(1e6 / ingest, 1) if ingest else None,
        "us_per_event_ingest_emit": round(1e6 / emit, 1) if emit else None,
        # The service's own CPU per event: steadier than wall time on a shared, busy machine.
        "cpu_us_per_event_ingest": round(1e6 / ingest * prof["process_cpu_share"], 1)
        if ingest and prof.get("process_cpu_share")
        else None,
    }
    if "peak_rss_mb" in prof:
        summary["peak_rss_mb"] = prof["peak_rss_mb"]
        summary["rss_per_client_kb"] = round(prof["peak_rss_mb"] * 1024 / clients, 2)
        summary["rss_growth_per_client_kb"] = round(
            (prof["peak_rss_mb"] - prof["rss_at_ready_mb"]) * 1024 / clients, 3
        )
    if run.get("database_bytes"):
        summary["database_bytes_per_client"] = round(run["database_bytes"] / clients)
    run["summary"] = summary


def growth(runs: list[dict]) -> dict:
    ok = [r for r in runs if r["summary"].get("us_per_event_ingest")]
    if len(ok) < 2:
        return {}
    small, large = ok[0], ok[-1]

    def ratio(key: str) -> float | None:
        a, b = small["summary"].get(key), large["summary"].get(key)
        return round(b / a, 3) if a and b else None

    return {
        "from_clients": small["clients"],
        "to_clients": large["clients"],
        "us_per_event": [r["summary"]["us_per_event_ingest"] for r in ok],
        "us_per_event_ratio": ratio("us_per_event_ingest"),
        "us_per_event_ingest_emit_ratio": ratio("us_per_event_ingest_emit"),
        "cpu_us_per_event_ratio": ratio("cpu_us_per_event_ingest"),
        "profile_vs_baseline_ratio_change": ratio("ratio_ingest"),
        "rss_per_client_ratio": ratio("rss_per_client_kb"),
        "rss_growth_per_client_ratio": ratio("rss_growth_per_client_kb"),
        "goal_us_per_event_ratio_at_most": 1.5,
    }


def table(result: dict) -> str:
    def f(v: Any, fmt: str) -> str:
        return format(v, fmt) if isinstance(v, (int, float)) else "-"

    lines = [
        f"profile ingest vs bare aiokafka consumer - {result['database']}, "
        f"{result['machine']['cpus']} cpus",
        f"{'clients':>8} {'days':>4} {'events':>8} {'baseline/s':>10} {'ingest/s':>9} "
        f"{'ratio':>6} {'+emit/s':>8} {'ratio':>6} {'us/ev':>7} {'cpu us/ev':>9} {'peakRSS':>8} "
        f"{'KB/cli':>7} {'cpu p/m':>9}",
    ]
    for run in result["runs"]:
        s, p = run["summary"], run["profile"]
        lines.append(
            f"{run['clients']:>8,} {run['days']:>4} {run['events']:>8,} "
            f"{f(s['baseline_events_per_s'], '>10,.0f')} "
            f"{f(s['profile_ingest_events_per_s'], '>9,.0f')} {f(s['ratio_ingest'], '>6.3f')} "
            f"{f(s['profile_ingest_emit_events_per_s'], '>8,.0f')} "
            f"{f(s['ratio_ingest_emit'], '>6.3f')} {f(s['us_per_event_ingest'], '>7.0f')} "
            f"{f(s.get('cpu_us_per_event_ingest'), '>9.0f')} {f(s.get('peak_rss_mb'), '>6.0f')}MB {f(s.get('rss_per_client_kb'), '>7.2f')} "
            f"{f(p.get('process_cpu_share'), '>4.2f')}/{f(p.get('machine_cpu_busy_share'), '.2f')}"
        )
    lines.append(
        "ratio = profile / baseline events/s (goal >= 0.25); cpu us/ev = the service process's "
        "CPU time per event; cpu p/m = service process CPU (cores) / machine busy share, "
        "during ingest"
    )
    g = result.get("growth")
    if g:
        lines.append(
            f"time per event x{g['us_per_event_ratio']} from {g['from_clients']:,} to "
            f"{g['to_clients']:,} clients (goal <= 1.5), CPU per event x{g['cpu_us_per_event_ratio']}; "
            f"RSS per client "
            f"x{g['rss_per_client_ratio']}, RSS growth per client x{g['rss_growth_per_client_ratio']}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=5, help="calendar days simulated")
    parser.add_argument(
        "--scale", help="comma-separated client counts, e.g. 10000,100000 (overrides --clients)"
    )
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument(
        "--bootstrap",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or "127.0.0.1:9092",
    )
    parser.add_argument("--postgres-server", default=DEFAULT_PG_SERVER)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--start", type=date.fromisoformat, help="first simulated day (default: --days ago)"
    )
    parser.add_argument(
        "--timeout", type=float, default=900, help="seconds allowed per measured phase"
    )
    parser.add_argument("--out", type=Path, help="also write the JSON result here")
    parser.add_argument(
        "--pyinstrument", action="store_true", help="sample the service during ingest"
    )
    parser.add_argument(
        "--pyinstrument-html",
        help="with --pyinstrument: write the HTML here (and the full text tree next to it, .txt)",
    )
    parser.add_argument("--no-contract-baseline", action="store_true")
    parser.add_argument("--keep-topics", action="store_true")
    # Internal: the roles run in child processes.
    parser.add_argument("--role", choices=("baseline", "profile"), help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    parser.add_argument("--expect", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--decoder", default="json", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)

    if opts.role == "baseline":
        result = asyncio.run(
            baseline(opts.bootstrap, opts.prefix, opts.expect, opts.decoder, opts.timeout)
        )
        print(json.dumps(result))
        return 0
    if opts.role == "profile":
        result = asyncio.run(
            profile_service(
                database_url=opts.database_url,
                bootstrap=opts.bootstrap,
                prefix=opts.prefix,
                expect=opts.expect,
                timeout_s=opts.timeout,
                pyinstrument_html=opts.pyinstrument_html,
                use_pyinstrument=opts.pyinstrument,
            )
        )
        print(json.dumps(result))
        return 0

    sizes = [int(s) for s in opts.scale.split(",")] if opts.scale else [opts.clients]
    ensure_kafka(opts.bootstrap)
    if opts.database == "postgres":
        ensure_postgres(opts.postgres_server)
    runs = [measure(opts, clients) for clients in sizes]
    result = {
        "benchmark": "profile_ingest",
        "command": " ".join(["bench/profile_ingest.py", *(argv or sys.argv[1:])]),
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "database": opts.database,
        "bootstrap": opts.bootstrap,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "runs": runs,
    }
    if len(runs) > 1:
        result["growth"] = growth(runs)
    write_result(result, opts.out)
    print(table(result), file=sys.stderr)
    failed = any(
        "error" in r["profile"] or not r["profile"].get("complete") or "error" in r["baseline"]
        for r in runs
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
