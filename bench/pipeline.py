#!/usr/bin/env python
"""The whole pipeline, measured side by side with bare Kafka (issue 11).

The simulator's realistic mix (`reach_sim` population and `Brokerage.history()`) goes through
the five services, each its own process (`reach_runtime.stack.Stack`, `python -m reach_<name>
all`), on real Kafka (`--bootstrap`, a fresh topic prefix deleted afterwards) and PostgreSQL (one
fresh database per service, dropped afterwards), with the ready-made segments and campaigns
loaded and live (`reach_sim.demo.load_library`: an operator submits, a second person approves)
and the fake providers of `reach_sim.providers` (SMTP sink, SMS gateway, push, WeChat) recording
when each send arrives.

Per population size:

1. **Baseline** (same run, same broker, before the services start): the same encoded messages,
   keys and headers, produced with the same producer settings to topics of the same partition
   count under a prefix of their own, read by a bare `AIOKafkaConsumer` (every partition
   assigned, `json.loads` per message). Throughput = messages / (first send → last message
   read); then each offered rate's slice again at that rate, for the bare produce→consume
   latency.
2. **Warm-up = throughput**: the history except the last `sum(rate × duration)` events, published
   as fast as the producer goes; the pipeline's sustained rate = those events / (first publish →
   every service's consumer lag 0, every outbox empty and no service processing anything for
   `--quiet` seconds). Ratio = pipeline / baseline.
3. **Offered loads**: for each rate in `--rates`, the next `rate × --duration` events of the
   history (the realistic steady-state mix of the last days) published at that rate, then
   waited for until drained. Latencies, from the instant the driver handed the upstream event to
   its producer (`time.time()`):
   - **end to end**: to the fake provider receiving the send (the SMTP sink's DATA, the HTTP
     provider's request; the provider's `time.time()`, same process, same clock);
   - **segment update**: to the arrival of the `segment.entered`/`segment.exited` event on the
     memberships topic at a consumer in the driver.
   How a send is matched to its upstream event: each upstream message carries a W3C
   `traceparent` header whose trace id encodes the event's index in this run. The services
   carry the trace context through every hop (the consumer runs each handler in a span whose
   parent is the record's `traceparent`; the outbox stores the current context with each
   emitted event; the notifier stores it with the send and emits its delivery events inside
   it). The driver reads `reach.deliveries.v1`: each `delivery.sent` names the provider message
   id (SMTP Message-ID, SMS biz_id, push message_id, WeChat msgid), which the fake provider
   timed when it handed it out, and carries the upstream event's trace id. A send whose
   delivery has no trace of this run (a sweep-scheduled or re-checked send that lost its
   context) is counted as `unmatched`, never guessed.
4. Every second, each service's `/metrics`: `reach_consumer_lag` (summed per service and per
   topic), events processed, outbox pending; and each process's RSS (VmRSS) and CPU time from
   /proc. Peak RSS = VmHWM of each service process at the end.

`--profile SERVICE` starts that service under pyinstrument (`python -m pyinstrument -m
reach_<service> all`, session saved, read back after the run): its self time by function and
package, idle (the event loop waiting in `select`) set apart. A profiled run's rates are not
benchmark figures.

JSON on stdout (and `--out`), a table on stderr, a PNG next to `--out` (lag over time per service,
latency distributions per rate). Exit 1 if a phase did not complete within `--timeout`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import platform
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from profile_ingest import (
    DEFAULT_PG_SERVER,
    ROOT,
    delete_prefix,
    ensure_kafka,
    ensure_postgres,
    machine_ticks,
    topic_partitions,
    write_result,
)
from replicate import replicate, spread
from segment_latency import percentiles

SERVICES = ("profile", "segmenter", "campaign", "notifier", "analytics")
MEMBERSHIPS = "reach.segment-memberships.v1"
PORTRAITS = "reach.portraits.v1"
DELIVERIES = "reach.deliveries.v1"
OUTREACH = "reach.outreach.v1"
CALLBACK_SECRET = "bench-callback-secret"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(f"[pipeline] {message}", file=sys.stderr, flush=True)


# --- the workload ---------------------------------------------------------------------------------


@dataclass
class Workload:
    start: str
    messages: list[tuple[str, bytes, bytes, str]]  # (topic, key, value, event_type)
    generate_seconds: float


def generate(clients: int, days: int, seed: int) -> Workload:
    from reach_contracts import encode
    from reach_sim.brokerage import Brokerage
    from reach_sim.calendar import SHANGHAI
    from reach_sim.output import topic_of
    from reach_sim.population import population

    started = time.perf_counter()
    start = datetime.now(SHANGHAI).date() - timedelta(days=days)
    people = population(clients, seed=seed, start=start, days=days)
    messages = [
        (topic_of(e), e.client_id.encode(), encode(e), e.event_type)
        for e in Brokerage(people, seed=seed, start=start, days=days).history()
    ]
    return Workload(start.isoformat(), messages, time.perf_counter() - started)


class Traces:
    """A W3C traceparent per upstream message whose trace id encodes (run, index)."""

    def __init__(self) -> None:
        self.run = uuid.uuid4().int & ((1 << 64) - 1) or 1
        self.run_hex = f"{self.run:016x}"

    def header(self, index: int) -> list[tuple[str, bytes]]:
        return [("traceparent", f"00-{self.run_hex}{index:016x}-{index + 1:016x}-01".encode())]

    def index_of(self, headers: Any) -> int | None:
        for key, value in headers or ():
            if key == "traceparent":
                parts = value.decode("latin-1").split("-")
                if len(parts) >= 2 and parts[1][:16] == self.run_hex:
                    return int(parts[1][16:], 16)
        return None


async def produce(
    bootstrap: str,
    prefix: str,
    messages: list[tuple[str, bytes, bytes, str]],
    first_index: int,
    traces: Traces,
    sent_at: list[float],
    *,
    rate: float | None,
) -> tuple[float, float]:
    """Send messages[i] with trace index first_index + i, at `rate`/s or as fast as possible;
    sent_at[first_index + i] = time.time() when handed to the producer. Returns (first, last)
    hand-over instants; returns after Kafka acknowledged every message."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=5 if rate else 20,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    pending: list[asyncio.Future] = []
    first = last = time.time()
    try:
        t0 = time.monotonic()
        for i, (topic, key, value, _) in enumerate(messages):
            if rate:
                delay = t0 + i / rate - time.monotonic()
                if delay > 0.001:
                    await asyncio.sleep(delay)
            index = first_index + i
            now = time.time()
            if i == 0:
                first = now
            sent_at[index] = now
            pending.append(
                await producer.send(prefix + topic, value, key=key, headers=traces.header(index))
            )
            if not rate and len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending.clear()
        last = time.time()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return first, last


def upstream_topics() -> list[str]:
    from reach_contracts import TOPICS

    return [name for name, t in TOPICS.items() if t.producer == "upstream"]


# --- baseline: bare aiokafka produce -> consume -----------------------------------------------------


async def bare_round(
    bootstrap: str,
    prefix: str,
    messages: list[tuple[str, bytes, bytes, str]],
    traces: Traces,
    *,
    rate: float | None,
    timeout_s: float,
) -> dict:
    """Produce `messages` (at `rate` or at once) and read them back with a bare consumer."""
    from aiokafka import AIOKafkaConsumer

    sent_at = [0.0] * len(messages)
    arrived = [0.0] * len(messages)
    tps = await topic_partitions(bootstrap, [prefix + t for t in upstream_topics()])
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="latest",
        isolation_level="read_committed",
        max_poll_records=500,
    )
    await consumer.start()
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    for tp in tps:  # resolve positions now: only what is produced from here on is read
        await consumer.position(tp)
    seen = 0

    async def read() -> float:
        nonlocal seen
        while seen < len(messages):
            batches = await consumer.getmany(timeout_ms=200, max_records=500)
            now = time.time()
            for records in batches.values():
                for record in records:
                    json.loads(record.value)
                    index = traces.index_of(record.headers)
                    if index is not None and index < len(arrived) and not arrived[index]:
                        arrived[index] = now
                        seen += 1
        return time.time()

    reader = asyncio.create_task(read())
    try:
        first, _ = await produce(bootstrap, prefix, messages, 0, traces, sent_at, rate=rate)
        done = await asyncio.wait_for(reader, timeout_s)
    finally:
        reader.cancel()
        with contextlib.suppress(BaseException):
            await reader
        await consumer.stop()
    latencies = [a - s for a, s in zip(arrived, sent_at, strict=True) if a and s]
    return {
        "messages": len(messages),
        "seconds": round(done - first, 3),
        "events_per_s": round(len(messages) / max(done - first, 1e-9), 1),
        "latency": percentiles(latencies),
    }


async def baseline(opts: argparse.Namespace, warm, slices: list, traces: Traces) -> dict:
    from reach_runtime.kafka import ensure_topics

    prefix = f"benchbare{uuid.uuid4().hex[:8]}."
    await ensure_topics(opts.bootstrap, [prefix + t for t in upstream_topics()], partitions=4)
    await asyncio.sleep(2)  # partition leaders elected before the first fetch
    try:
        throughput = await bare_round(
            opts.bootstrap, prefix, warm, traces, rate=None, timeout_s=opts.timeout
        )
        by_rate = {}
        for rate, chunk in slices:
            by_rate[str(rate)] = await bare_round(
                opts.bootstrap, prefix, chunk, traces, rate=rate, timeout_s=opts.timeout
            )
        return {"throughput": throughput, "by_rate": by_rate}
    finally:
        await delete_prefix(opts.bootstrap, prefix)


# --- the five services, providers that time what they receive -----------------------------------


def timed_providers():
    from reach_sim.providers import PushService, SmsGateway, SmtpSink, WechatTemplateApi

    def timed(base):
        class Timed(base):  # type: ignore[misc, valid-type]
            def __init__(self, *a, **k) -> None:
                super().__init__(*a, **k)
                self.arrivals: dict[str, float] = {}

            def new_message_id(self) -> str:  # called once per accepted (first) request
                message_id = super().new_message_id()
                self.arrivals[message_id] = time.time()
                return message_id

        return Timed

    class TimedSmtp(SmtpSink):
        def __init__(self, *a, **k) -> None:
            super().__init__(*a, **k)
            self.arrivals: dict[str, float] = {}

        def add(self, mail) -> None:
            self.arrivals.setdefault(mail.message_id, time.time())
            super().add(mail)

    return (
        TimedSmtp(),
        timed(SmsGateway)(secret=CALLBACK_SECRET),
        timed(PushService)(secret=CALLBACK_SECRET),
        timed(WechatTemplateApi)(secret=CALLBACK_SECRET),
    )


def make_stack(opts, urls, prefix, env, log_dir, profile_path):
    from reach_runtime.stack import Stack

    @dataclass
    class BenchStack(Stack):
        """The Stack, with one service optionally started under pyinstrument."""

        profiled: str | None = None
        profile_path: Path | None = None

        def start(self, *services: str, role: str = "all") -> None:
            wanted = services or SERVICES
            super().start(*[s for s in wanted if s != self.profiled], role=role)
            if self.profiled in wanted:
                name = self.profiled
                self.ports.setdefault(name, _free_port())
                child_env = {
                    **os.environ,
                    "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap,
                    "DATABASE_URL": self.database_urls[name],
                    "HTTP_PORT": str(self.ports[name]),
                    **self.env,
                }
                out = (self.log_dir / f"{name}.log").open("ab")
                # uvicorn re-raises SIGTERM after its graceful shutdown; turned into SystemExit
                # here so that pyinstrument's CLI catches it and saves the session
                program = (
                    "import runpy, signal, sys; "
                    "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0)); "
                    f"sys.argv = ['reach_{name}', {role!r}]; "
                    f"runpy.run_module('reach_{name}', run_name='__main__', alter_sys=True)"
                )
                self._processes[name] = subprocess.Popen(
                    [sys.executable, "-m", "pyinstrument", "-r", "pyisession",
                     "-o", str(self.profile_path), "-i", str(opts.profile_interval),
                     "-c", program],
                    env=child_env, stdout=out, stderr=out,
                )  # fmt: skip

        def pid(self, name: str) -> int:
            return self._processes[name].pid

    return BenchStack(
        kafka_bootstrap=opts.bootstrap,
        database_urls=urls,
        log_dir=log_dir,
        env=env,
        profiled=opts.profile,
        profile_path=profile_path,
    )


def _free_port() -> int:
    from reach_runtime.stack import free_port

    return free_port()


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM in KiB, and CPU ticks (utime + stime)."""
    result = {"rss_kb": 0, "hwm_kb": 0, "cpu_s": 0.0}
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                result["rss_kb"] = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                result["hwm_kb"] = int(line.split()[1])
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        result["cpu_s"] = (int(stat[11]) + int(stat[12])) / CLK_TCK
    return result


_LABEL = re.compile(r'(\w+)="([^"]*)"')


def parse_metrics(text: str) -> dict:
    lag_by_topic: dict[str, float] = {}
    processed_by_topic: dict[str, float] = {}
    outbox = dead_lettered = 0.0
    for line in text.splitlines():
        if line.startswith("reach_consumer_lag{"):
            labels, value = line[len("reach_consumer_lag{") :].rsplit("} ", 1)
            topic = dict(_LABEL.findall(labels)).get("topic", "?")
            lag_by_topic[topic] = lag_by_topic.get(topic, 0) + float(value)
        elif line.startswith("reach_events_processed_total{"):
            labels, value = line[len("reach_events_processed_total{") :].rsplit("} ", 1)
            topic = dict(_LABEL.findall(labels)).get("topic", "?")
            processed_by_topic[topic] = processed_by_topic.get(topic, 0) + float(value)
        elif line.startswith("reach_outbox_pending{"):
            outbox += float(line.rsplit(" ", 1)[1])
        elif line.startswith("reach_events_dead_lettered_total{"):
            dead_lettered += float(line.rsplit(" ", 1)[1])
    return {
        "dead_lettered": dead_lettered,
        "lag": sum(lag_by_topic.values()),
        "lag_by_topic": lag_by_topic,
        "processed": sum(processed_by_topic.values()),
        "processed_by_topic": processed_by_topic,
        "outbox": outbox,
    }


class Sampler:
    """Every `interval` s: each service's metrics and its process's RSS and CPU."""

    def __init__(self, stack, http, interval: float = 1.0) -> None:
        self.stack, self.http, self.interval = stack, http, interval
        self.samples: list[dict] = []
        self.changed = asyncio.Event()

    async def one(self) -> dict:
        row: dict[str, Any] = {"t": time.time()}

        async def service(name: str) -> None:
            try:
                text = (await self.http.get(f"{self.stack.url(name)}/metrics")).text
                row[name] = parse_metrics(text) | proc_status(self.stack.pid(name))
            except Exception as error:
                row[name] = {"error": repr(error)} | proc_status(self.stack.pid(name))

        await asyncio.gather(*(service(name) for name in SERVICES))
        return row

    async def run(self) -> None:
        while True:
            started = time.monotonic()
            self.samples.append(await self.one())
            self.changed.set()
            self.changed = asyncio.Event()
            await asyncio.sleep(max(0.0, self.interval - (time.monotonic() - started)))

    def latest(self) -> dict:
        return self.samples[-1] if self.samples else {}

    async def next(self) -> dict:
        await self.changed.wait()
        return self.latest()


def is_quiet(previous: dict, current: dict) -> bool:
    for name in SERVICES:
        a, b = previous.get(name, {}), current.get(name, {})
        if "error" in b or "lag" not in b or "lag" not in a:
            return False
        if b["lag"] or b["outbox"] or a["lag"] or a["outbox"] or a["processed"] != b["processed"]:
            return False
    return True


async def wait_drained(
    sampler: Sampler, *, upstream_target: float, quiet_s: float, timeout_s: float
) -> tuple[float | None, dict]:
    """Until profile has processed `upstream_target` upstream events and then every service has
    had no lag, an empty outbox and no newly processed event for `quiet_s` seconds. Returns the
    instant of the first quiet sample (None on timeout)."""
    deadline = time.monotonic() + timeout_s
    quiet_since: dict | None = None
    previous: dict | None = None
    while time.monotonic() < deadline:
        current = await sampler.next()
        done = current.get("profile", {}).get("processed", 0) >= upstream_target
        if done and previous is not None and is_quiet(previous, current):
            quiet_since = quiet_since or previous
            if current["t"] - quiet_since["t"] >= quiet_s:
                return quiet_since["t"], current
        else:
            quiet_since = None
        previous = current
    return None, sampler.latest()


class Tap:
    """Reads the portraits, memberships, outreach and deliveries topics from the beginning.

    Kafka stamps each record with its producer's clock when the relay hands it over, so a
    membership change's time splits into profile's hop (upstream event → the portrait it
    caused), segmenter's hop (→ the membership event) and the tap's own read."""

    def __init__(self, bootstrap: str, prefix: str, traces: Traces) -> None:
        self.bootstrap, self.prefix, self.traces = bootstrap, prefix, traces
        # (index, arrival, type, the record's timestamp)
        self.memberships: list[tuple[int | None, float, str, float]] = []
        self.portrait_at: dict[int, float] = {}  # index → the first portrait it caused, stamped
        self.sent: list[tuple[int | None, float, str, str]] = []  # (index, arrival, channel, id)
        self.outreach: list[tuple[int | None, str]] = []
        self.deliveries: list[tuple[int | None, str]] = []

    async def run(self) -> None:
        from aiokafka import AIOKafkaConsumer

        names = [self.prefix + t for t in (PORTRAITS, MEMBERSHIPS, OUTREACH, DELIVERIES)]
        tps = await topic_partitions(self.bootstrap, names)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=100,
        )
        await consumer.start()
        try:
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            while True:
                batches = await consumer.getmany(timeout_ms=200)
                now = time.time()
                for tp, records in batches.items():
                    kind = tp.topic[len(self.prefix) :]
                    for record in records:
                        index = self.traces.index_of(record.headers)
                        if kind == PORTRAITS:
                            if index is not None:
                                self.portrait_at.setdefault(index, record.timestamp / 1000)
                            continue
                        event = json.loads(record.value)
                        etype = event.get("event_type", "?")
                        if kind == MEMBERSHIPS:
                            self.memberships.append((index, now, etype, record.timestamp / 1000))
                        elif kind == OUTREACH:
                            self.outreach.append((index, etype))
                        else:
                            self.deliveries.append((index, etype))
                            if etype == "delivery.sent":
                                p = event.get("payload", {})
                                self.sent.append(
                                    (index, now, p.get("channel", "?"),
                                     str(p.get("provider_message_id")))
                                )  # fmt: skip
        finally:
            await consumer.stop()


# --- one population size ------------------------------------------------------------------------


def split(workload: Workload, rates: list[float], duration: float) -> tuple[list, list, float]:
    """Warm-up messages and one slice per rate from the end of the history."""
    messages = workload.messages
    wanted = [int(r * duration) for r in rates]
    if sum(wanted) > 0.6 * len(messages):  # keep at least 40% of the history for the warm-up
        duration = 0.6 * len(messages) / sum(rates)
        log(f"not enough events for the offered loads; --duration cut to {duration:.1f}s")
        wanted = [int(r * duration) for r in rates]
    start = len(messages) - sum(wanted)
    warm = messages[:start]
    slices = []
    for rate, n in zip(rates, wanted, strict=True):
        slices.append((rate, messages[start : start + n]))
        start += n
    return warm, slices, duration


def lag_window(samples: list[dict], t0: float, t1: float) -> dict:
    """Per service: max lag and max RSS in [t0, t1]."""
    window = [s for s in samples if t0 <= s["t"] <= t1]
    result = {}
    for name in SERVICES:
        rows = [s[name] for s in window if name in s]
        result[name] = {
            "max_lag": max((r.get("lag", 0) for r in rows), default=None),
            "max_rss_mb": round(max((r.get("rss_kb", 0) for r in rows), default=0) / 1024, 1),
        }
    return result


def cpu_between(samples: list[dict], t0: float, t1: float) -> dict:
    """CPU seconds each service used between the samples nearest t0 and t1."""
    if not samples:
        return {}
    a = min(samples, key=lambda s: abs(s["t"] - t0))
    b = min(samples, key=lambda s: abs(s["t"] - t1))
    return {n: round(b[n]["cpu_s"] - a[n]["cpu_s"], 2) for n in SERVICES if n in a and n in b}


def lag_at(samples: list[dict], t: float) -> dict:
    after = [s for s in samples if s["t"] >= t]
    row = after[0] if after else (samples[-1] if samples else {})
    return {n: row.get(n, {}).get("lag") for n in SERVICES}


async def measure(opts: argparse.Namespace, clients: int) -> dict:
    from reach_runtime.testing import create_database, drop_database

    log(f"--- {clients:,} clients × {opts.days} days")
    workload = generate(clients, opts.days, opts.seed)
    warm, slices, duration = split(workload, opts.rates, opts.duration)
    # The workload lives until the end of the run. Frozen, it is left out of this process's
    # collections: a full one over it pauses the driver (publisher, providers, reader of the
    # latencies) for 100 ms or more, which would show as latency of the pipeline.
    gc.collect()
    gc.freeze()
    log(
        f"generated {len(workload.messages):,} events in {workload.generate_seconds:.1f}s: "
        f"warm-up {len(warm):,}, " + ", ".join(f"{r:g}/s: {len(c):,}" for r, c in slices)
    )
    traces = Traces()
    result: dict[str, Any] = {
        "clients": clients * opts.copies,
        "simulated_clients": clients,
        "copies": opts.copies,
        "days": opts.days,
        "start": workload.start,
        "events": len(workload.messages),
        "warmup_events": len(warm),
        "duration_s": round(duration, 2),
        "generate_seconds": round(workload.generate_seconds, 1),
        "by_event_type": _count(m[3] for m in workload.messages),
        "complete": True,
    }

    log("baseline: bare aiokafka produce -> consume of the same messages")
    result["baseline"] = await baseline(opts, warm, slices, traces)
    log(
        f"baseline {result['baseline']['throughput']['events_per_s']:,.0f} events/s; "
        + ", ".join(
            f"{r}/s p99 {v['latency']['p99_ms']} ms"
            for r, v in result["baseline"]["by_rate"].items()
        )
    )

    prefix = f"benchpipe{uuid.uuid4().hex[:8]}."
    urls: dict[str, str] = {}
    log_dir = Path(opts.log_dir or f"/tmp/reach-bench-pipeline/{prefix.rstrip('.')}")
    profile_path = log_dir / f"{opts.profile}.pyisession" if opts.profile else None
    loop_ticks0 = machine_ticks()
    try:
        for name in SERVICES:
            urls[name] = await create_database(opts.pg_server)
        result["pipeline"] = await run_pipeline(
            opts, clients, prefix, urls, log_dir, profile_path, warm, slices, traces, result
        )
    finally:
        with contextlib.suppress(Exception):
            if not opts.keep_topics:
                await delete_prefix(opts.bootstrap, prefix)
        for url in urls.values():
            with contextlib.suppress(Exception):
                await drop_database(url)
    gc.unfreeze()
    ticks1 = machine_ticks()
    if loop_ticks0 and ticks1:
        result["machine_busy"] = round(
            (ticks1[0] - loop_ticks0[0]) / max(1, ticks1[1] - loop_ticks0[1]), 2
        )
    if profile_path is not None:
        try:
            result["profile"] = read_profile(profile_path, opts.profile, opts.out)
        except Exception as error:
            result["profile"] = {"error": repr(error), "session": str(profile_path)}
    return result


def _count(items) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


async def run_pipeline(
    opts, clients, prefix, urls, log_dir, profile_path, warm, slices, traces, result
) -> dict:
    import httpx
    from reach_sim.calendar import at

    smtp, sms, push, wechat = timed_providers()
    period_end = datetime.fromisoformat(result["start"]).date() + timedelta(days=opts.days)
    # As the demo: Reach acts "now" = 10:00 in Shanghai on the day after the period, so the
    # send window is open whatever the hour of the run.
    clock_start = at(period_end, dtime(10, 0))
    env = {
        "KAFKA_TOPIC_PREFIX": prefix,
        "SWEEP_INTERVAL_S": "60",
        "CLOCK_START": clock_start.isoformat(),
        "CLOCK_WALL_START": str(time.time()),
        "CLOCK_SPEED": "1",
        "CALLBACK_SECRET": CALLBACK_SECRET,
    }
    if not opts.provider_limits:
        env |= {f"{c}_RATE_PER_S": "100000" for c in ("EMAIL", "SMS", "PUSH", "WECHAT")}
    env |= dict(pair.split("=", 1) for pair in opts.set)
    total = len(warm) + sum(len(c) for _, c in slices)
    sent_at = [0.0] * total
    out: dict[str, Any] = {"provider_rate_limits": "default" if opts.provider_limits else "off"}
    with smtp, sms, push, wechat:
        env |= {"SMTP_PORT": str(smtp.port), "SMS_URL": sms.url, "PUSH_URL": push.url,
                "WECHAT_URL": wechat.url}  # fmt: skip
        stack = make_stack(opts, urls, prefix, env, log_dir, profile_path)
        log(
            f"starting the five services (logs in {log_dir}){' with ' + opts.profile + ' under pyinstrument' if opts.profile else ''}"
        )
        t_start = time.monotonic()
        stack.start()
        tasks: list[asyncio.Task] = []
        try:
            await stack.wait_ready(timeout_s=180)
            out["startup_seconds"] = round(time.monotonic() - t_start, 1)
            for provider in (sms, push, wechat):
                provider.receipt_url = stack.url("notifier")
            async with httpx.AsyncClient(timeout=60) as http:
                from reach_sim.demo import load_library

                with contextlib.redirect_stdout(sys.stderr):  # it says what it loaded
                    await load_library(http, stack)
                sampler = Sampler(stack, http)
                tap = Tap(opts.bootstrap, prefix, traces)
                tasks = [asyncio.create_task(sampler.run()), asyncio.create_task(tap.run())]
                idle_from = (await sampler.next())["t"]
                # what the five cost with nothing to do: background loops, relays, the scrapes
                await asyncio.sleep(opts.idle)
                idle_to = (await sampler.next())["t"]
                out["idle_cores"] = {
                    n: round(v / (idle_to - idle_from), 3)
                    for n, v in cpu_between(sampler.samples, idle_from, idle_to).items()
                }
                log(f"idle for {idle_to - idle_from:.0f}s: cores used {out['idle_cores']}")
                base_processed = sampler.latest()["profile"]["processed"]
                t_origin = time.time()

                # warm-up: as fast as the producer goes = the throughput figure
                log(f"warm-up: {len(warm):,} events at once")
                first, last = await produce(
                    opts.bootstrap, prefix, warm, 0, traces, sent_at, rate=None
                )
                drained, _ = await wait_drained(
                    sampler, upstream_target=base_processed + len(warm),
                    quiet_s=opts.quiet, timeout_s=opts.timeout,
                )  # fmt: skip
                warm_out: dict[str, Any] = {
                    "events": len(warm),
                    "publish_seconds": round(last - first, 2),
                    "complete": drained is not None,
                }
                if drained is None:
                    result["complete"] = False
                    log("warm-up did not drain within --timeout")
                else:
                    seconds = drained - first
                    cpu = cpu_between(sampler.samples, first, drained)
                    warm_out |= {
                        "seconds": round(seconds, 2),
                        "events_per_s": round(len(warm) / seconds, 1),
                        "us_per_event": round(seconds / len(warm) * 1e6, 1),
                        "ratio_to_baseline": round(
                            len(warm) / seconds / result["baseline"]["throughput"]["events_per_s"],
                            4,
                        ),
                        "cpu_seconds": cpu,
                        "cpu_us_per_event": {
                            n: round(v / len(warm) * 1e6, 1) for n, v in cpu.items()
                        },
                        "per_service": lag_window(sampler.samples, first, drained),
                    }
                    log(
                        f"warm-up drained in {seconds:.1f}s: {len(warm) / seconds:,.0f} events/s, "
                        f"ratio {warm_out['ratio_to_baseline']}"
                    )
                out["warmup"] = warm_out
                marks = [("warm-up", first - t_origin)]
                if opts.copies > 1 and result["complete"]:
                    log(f"copying the state of {clients:,} clients {opts.copies} times")
                    started = time.monotonic()
                    out["copied_rows"] = {
                        name: await replicate(url, clients, opts.copies, log=log)
                        for name, url in urls.items()
                    }
                    out["copy_seconds"] = round(time.monotonic() - started, 1)
                    slices = [
                        (rate, spread(chunk, clients, opts.copies, opts.seed))
                        for rate, chunk in slices
                    ]

                # fixed offered loads
                index = len(warm)
                rates_out = []
                processed_target = base_processed + len(warm)
                for rate, chunk in slices:
                    if not result["complete"]:
                        break
                    log(f"offered load {rate:g}/s: {len(chunk):,} events")
                    lo, hi = index, index + len(chunk)
                    first, last = await produce(
                        opts.bootstrap, prefix, chunk, lo, traces, sent_at, rate=rate
                    )
                    marks.append((f"{rate:g}/s", first - t_origin))
                    processed_target += len(chunk)
                    backlog = lag_at(sampler.samples, last)
                    drained, _ = await wait_drained(
                        sampler, upstream_target=processed_target,
                        quiet_s=opts.quiet, timeout_s=opts.timeout,
                    )  # fmt: skip
                    # late sends (data gate re-checks every 15 s) may still come: give them a moment
                    await asyncio.sleep(opts.settle)
                    entry = phase_stats(
                        rate, lo, hi, first, last, drained, sent_at, tap,
                        (smtp, sms, push, wechat), sampler.samples,
                    )  # fmt: skip
                    entry["lag_at_last_publish"] = backlog
                    rates_out.append(entry)
                    if drained is None:
                        result["complete"] = False
                        log(f"{rate:g}/s did not drain within --timeout")
                    log(_phase_line(entry))
                    index = hi
                out["rates"] = rates_out
                out["warmup_sends"] = phase_stats(
                    None, 0, len(warm), sent_at[0], sent_at[len(warm) - 1], None, sent_at, tap,
                    (smtp, sms, push, wechat), sampler.samples,
                )["end_to_end"]  # fmt: skip
                final = sampler.latest()
                out["peak_rss_mb"] = {
                    n: round(proc_status(stack.pid(n))["hwm_kb"] / 1024, 1) for n in SERVICES
                }
                out["rss_mb_per_1k_clients"] = {
                    n: round(v / (clients * opts.copies) * 1000, 2)
                    for n, v in out["peak_rss_mb"].items()
                }
                out["processed"] = {n: final.get(n, {}).get("processed") for n in SERVICES}
                out["dead_lettered"] = {n: final.get(n, {}).get("dead_lettered") for n in SERVICES}
                out["lag_by_topic_at_end"] = {
                    n: final.get(n, {}).get("lag_by_topic") for n in SERVICES
                }
                out["decisions"] = _count(t for _, t in tap.outreach)
                out["deliveries"] = _count(t for _, t in tap.deliveries)
                out["memberships"] = _count(t for _, _, t, _ in tap.memberships)
                out["provider_received"] = {
                    "email": len(smtp.arrivals), "sms": len(sms.arrivals),
                    "push": len(push.arrivals), "wechat": len(wechat.arrivals),
                }  # fmt: skip
                out["marks"] = [(name, round(t, 2)) for name, t in marks]
                out["lag_series"] = {
                    n: [
                        [round(s["t"] - t_origin, 1), s.get(n, {}).get("lag")]
                        for s in sampler.samples
                        if s["t"] >= t_origin - 1
                    ]
                    for n in SERVICES
                }
                out["rss_series_mb"] = {
                    n: [
                        [
                            round(s["t"] - t_origin, 1),
                            round(s.get(n, {}).get("rss_kb", 0) / 1024, 1),
                        ]
                        for s in sampler.samples
                        if s["t"] >= t_origin - 1
                    ]
                    for n in SERVICES
                }
                out["_latencies"] = {  # raw, for the plot; dropped from the JSON
                    str(e["rate"]): e.pop("_raw") for e in rates_out
                }
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
            stack.stop(timeout_s=120 if opts.profile else 20)
    return out


def phase_stats(rate, lo, hi, first, last, drained, sent_at, tap, providers, samples) -> dict:
    smtp, sms, push, wechat = providers
    by_channel = {"email": smtp, "sms": sms, "push": push, "wechat": wechat}
    e2e: list[float] = []
    to_event: list[float] = []
    unmatched_provider = 0
    channels: dict[str, int] = {}
    no_provider: dict[str, int] = {}  # in-app inbox, advisor tasks: no outside provider
    for index, arrival, channel, message_id in list(tap.sent):
        if index is None or not lo <= index < hi:
            continue
        to_event.append(arrival - sent_at[index])
        provider = by_channel.get(channel)
        if provider is None:
            no_provider[channel] = no_provider.get(channel, 0) + 1
            continue
        received = provider.arrivals.get(message_id)
        if received is None:
            unmatched_provider += 1
            continue
        e2e.append(received - sent_at[index])
        channels[channel] = channels.get(channel, 0) + 1
    untraced = sum(1 for index, *_ in tap.sent if index is None)
    entered: list[float] = []
    changes: list[float] = []
    hops: dict[str, list[float]] = {"profile": [], "segmenter": [], "tap": []}
    for index, arrival, etype, stamped in list(tap.memberships):
        if index is None or not lo <= index < hi:
            continue
        changes.append(arrival - sent_at[index])
        portrait = tap.portrait_at.get(index)
        if portrait is not None:
            hops["profile"].append(portrait - sent_at[index])
            hops["segmenter"].append(stamped - portrait)
            hops["tap"].append(arrival - stamped)
        if etype == "segment.entered":
            entered.append(arrival - sent_at[index])
    entry: dict[str, Any] = {
        "rate": rate,
        "events": hi - lo,
        "publish_seconds": round(last - first, 2),
        "achieved_rate": round((hi - lo) / max(last - first, 1e-9), 1),
        "complete": drained is not None,
        "end_to_end": {
            "sends": len(e2e),
            "by_channel": channels,
            "delivery_event_without_provider_time": unmatched_provider,
            **percentiles(e2e),
        },
        "sent_without_outside_provider": no_provider,
        "to_delivery_event": {"count": len(to_event), **percentiles(to_event)},
        "segment_entered": {"count": len(entered), **percentiles(entered)},
        "segment_changes": {"count": len(changes), **percentiles(changes)},
        # where a segment change's time went (Kafka's record timestamps; ms resolution)
        "segment_hops": {hop: percentiles(values) for hop, values in hops.items()},
        "sends_without_trace_so_far": untraced,
    }
    if rate is not None:
        entry["_raw"] = {"end_to_end": e2e, "segment": changes}
        if drained is not None:
            entry["drained_seconds_after_last_publish"] = round(drained - last, 2)
            entry["processed_events_per_s"] = round((hi - lo) / max(drained - first, 1e-9), 1)
            entry["cpu_seconds"] = cpu_between(samples, first, drained)
            entry["per_service"] = lag_window(samples, first, drained)
    return entry


def _phase_line(entry: dict) -> str:
    e, s = entry["end_to_end"], entry["segment_changes"]
    hops = ", ".join(
        f"{hop} {h['p50_ms']}/{h['p99_ms']}" for hop, h in entry["segment_hops"].items()
    )
    return (
        f"{entry['rate']:g}/s (achieved {entry['achieved_rate']:,.0f}/s): e2e n={e['sends']} "
        f"p50 {e['p50_ms']} p99 {e['p99_ms']} max {e['max_ms']} ms; segment n={s['count']} "
        f"p50 {s['p50_ms']} p99 {s['p99_ms']} ms ({hops} ms); drained "
        f"{entry.get('drained_seconds_after_last_publish')}s after the last publish"
    )


# --- the profile --------------------------------------------------------------------------------


def _where(identifier: str) -> str:
    parts = identifier.split("\x00")
    function, path = parts[0], parts[1] if len(parts) > 1 else "?"
    line = parts[2].split("\x01")[0] if len(parts) > 2 else ""
    for marker in ("/site-packages/", "/src/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        path = path.rsplit("/", 1)[-1]
    return f"{function} ({path}:{line})" if line else f"{function} ({path})"


def profile_breakdown(session: Any, top: int = 20) -> dict:
    """From the raw samples (each a call stack and a duration): idle (the event loop waiting in
    epoll/select) set apart; self time by function (the leaf of each stack); inclusive time of
    our own functions (reach_*, counted once per stack); and how much of the busy time was spent
    inside a database call (asyncpg/SQLAlchemy) or a Kafka call (aiokafka)."""
    total = idle = 0.0
    leaf: dict[str, float] = {}
    ours: dict[str, float] = {}
    in_db = in_kafka = 0.0
    for stack, seconds in session.frame_records:
        total += seconds
        top_frame = stack[-1].split("\x00")[0] if stack else "?"
        if top_frame in ("epoll.poll", "select.select", "poll.poll", "select") and any(
            "\x00select\x00" in f or f.startswith("select\x00") for f in stack[-3:]
        ):
            idle += seconds
            continue
        key = _where(stack[-1]) if stack else "?"
        leaf[key] = leaf.get(key, 0.0) + seconds
        seen: set[str] = set()
        for frame in stack:
            if "/reach_" in frame:
                name = _where(frame)
                if name not in seen:
                    seen.add(name)
                    ours[name] = ours.get(name, 0.0) + seconds
        joined = "|".join(stack)
        if "asyncpg" in joined or "greenlet_spawn" in joined:
            in_db += seconds
        elif "aiokafka" in joined:
            in_kafka += seconds
    busy = max(total - idle, 1e-9)

    def pick(times: dict[str, float]) -> list[dict]:
        return [
            {"where": k, "seconds": round(v, 2), "share_of_busy": round(v / busy, 3)}
            for k, v in sorted(times.items(), key=lambda kv: -kv[1])[:top]
        ]

    return {
        "sampled_seconds": round(total, 1),
        "idle_seconds": round(idle, 1),
        "busy_seconds": round(busy, 1),
        "process_cpu_seconds": round(getattr(session, "cpu_time", 0) or 0, 1),
        "busy_share_in_database_calls": round(in_db / busy, 3),
        "busy_share_in_kafka_calls": round(in_kafka / busy, 3),
        "self_time_by_function": pick(leaf),
        "inclusive_by_function": pick(ours),
    }


def read_profile(path: Path, service: str, out: Path | None) -> dict:
    if not path.exists() or not path.stat().st_size:
        return {"error": f"no profile session at {path} (service did not exit cleanly?)"}
    from pyinstrument.renderers import ConsoleRenderer
    from pyinstrument.session import Session

    session = Session.load(str(path))
    if out is not None:
        text = ConsoleRenderer(unicode=False, color=False, show_all=False).render(session)
        out.with_name(out.stem + f"-{service}-profile.txt").write_text(text, encoding="utf-8")
    result = {"service": service, "session": str(path), **profile_breakdown(session)}
    log(
        f"profile of {service}: {path} ({result['sampled_seconds']}s sampled, {result['idle_seconds']}s idle)"
    )
    return result


# --- report ---------------------------------------------------------------------------------------


def table(result: dict) -> str:
    lines = []
    for run in result["runs"]:
        p = run.get("pipeline", {})
        b = run["baseline"]
        w = p.get("warmup", {})
        lines.append(
            f"\n{run['clients']:,} clients × {run['days']} days: {run['events']:,} events "
            f"(warm-up {run['warmup_events']:,}); machine busy {run.get('machine_busy')}"
        )
        lines.append(
            f"  throughput: baseline {b['throughput']['events_per_s']:,.0f} ev/s, pipeline "
            f"{w.get('events_per_s', 'n/a')} ev/s ({w.get('us_per_event')} µs/ev), "
            f"ratio {w.get('ratio_to_baseline')}"
        )
        lines.append(
            "  | offered | achieved | bare p50/p99 ms | e2e sends | e2e p50 | p95 | p99 | max ms "
            "| segment changes | seg p50 | p95 | p99 | max ms | backlog at last publish | drained after |"
        )
        for e in p.get("rates", []):
            bare = b["by_rate"].get(str(e["rate"]), {}).get("latency", {})
            x, s = e["end_to_end"], e["segment_changes"]
            backlog = sum(v or 0 for v in e["lag_at_last_publish"].values())
            lines.append(
                f"  | {e['rate']:g}/s | {e['achieved_rate']:,.0f}/s | {bare.get('p50_ms')}/{bare.get('p99_ms')} "
                f"| {x['sends']} | {x['p50_ms']} | {x['p95_ms']} | {x['p99_ms']} | {x['max_ms']} "
                f"| {s['count']} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} | {s['max_ms']} "
                f"| {backlog:,.0f} | {e.get('drained_seconds_after_last_publish')} s |"
            )
        if p.get("peak_rss_mb"):
            lines.append(
                "  peak RSS MB: " + ", ".join(f"{n} {v}" for n, v in p["peak_rss_mb"].items())
            )
        if any(p.get("dead_lettered", {}).values()):
            lines.append(
                "  DEAD-LETTERED (the figures above miss these events): "
                + ", ".join(f"{n} {v:,.0f}" for n, v in p["dead_lettered"].items() if v)
            )
        if w.get("per_service"):
            lines.append(
                "  max lag in warm-up: "
                + ", ".join(
                    f"{n} {v['max_lag']:,.0f}"
                    for n, v in w["per_service"].items()
                    if v["max_lag"] is not None
                )
            )
            lines.append(
                "  CPU µs/event in warm-up: "
                + ", ".join(f"{n} {v}" for n, v in w["cpu_us_per_event"].items())
            )
        if run.get("profile", {}).get("self_time_by_function"):
            prof = run["profile"]
            lines.append(
                f"  profile of {prof['service']}: busy {prof['busy_seconds']}s of "
                f"{prof['sampled_seconds']}s; top self time:"
            )
            for item in prof["self_time_by_function"][:8]:
                lines.append(f"    {item['share_of_busy']:6.1%}  {item['where']}")
    if result.get("growth"):
        lines.append(f"\ngrowth: {json.dumps(result['growth'])}")
    return "\n".join(lines)


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = result["runs"]
    fig, axes = plt.subplots(len(runs), 3, figsize=(18, 4.5 * len(runs)), squeeze=False)
    for row, run in zip(axes, runs, strict=True):
        p = run.get("pipeline", {})
        ax = row[0]
        for name, series in p.get("lag_series", {}).items():
            xs = [x for x, y in series if y is not None]
            ys = [y for x, y in series if y is not None]
            ax.plot(xs, ys, label=name)
        for name, t in p.get("marks", []):
            ax.axvline(t, color="grey", linestyle=":")
            ax.text(t, ax.get_ylim()[1] * 0.95, name, fontsize=8, rotation=90, va="top")
        ax.set_title(f"{run['clients']:,} clients: consumer lag (messages)")
        ax.set_xlabel("seconds since the first publish")
        ax.set_yscale("symlog")
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=8)
        ax = row[1]
        for name, series in p.get("rss_series_mb", {}).items():
            ax.plot([x for x, _ in series], [y for _, y in series], label=name)
        ax.axhline(300, color="red", linestyle="--", linewidth=0.8, label="goal 300 MB")
        ax.set_title("RSS per service (MB)")
        ax.set_xlabel("seconds since the first publish")
        ax.legend(fontsize=8)
        ax = row[2]
        for rate, raw in p.get("_latencies", {}).items():
            for kind, style in (("end_to_end", "-"), ("segment", "--")):
                values = sorted(v * 1000 for v in raw.get(kind, []))
                if values:
                    ys = [(i + 1) / len(values) for i in range(len(values))]
                    ax.plot(values, ys, style, label=f"{rate}/s {kind.replace('_', ' ')}")
        ax.axvline(250, color="red", linestyle="--", linewidth=0.8)
        ax.axvline(100, color="orange", linestyle="--", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_title("latency CDF (ms; goals 100 ms segment, 250 ms end to end)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    log(f"plot written to {path}")


def growth(runs: list[dict]) -> dict | None:
    done = [r for r in runs if r.get("pipeline", {}).get("warmup", {}).get("us_per_event")]
    if len(done) < 2:
        return None
    first, last = done[0], done[-1]
    w0, w1 = first["pipeline"]["warmup"], last["pipeline"]["warmup"]
    return {
        "clients": [r["clients"] for r in done],
        "us_per_event": [r["pipeline"]["warmup"]["us_per_event"] for r in done],
        "time_per_event_ratio": round(w1["us_per_event"] / w0["us_per_event"], 2),
        "peak_rss_mb": [r["pipeline"]["peak_rss_mb"] for r in done],
        "rss_kb_per_client": [
            {n: round(v * 1024 / r["clients"], 2) for n, v in r["pipeline"]["peak_rss_mb"].items()}
            for r in done
        ],
    }


def git_commit() -> str | None:
    with contextlib.suppress(Exception):
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
            check=True,
        ).stdout.strip()  # fmt: skip
    return None


async def run(opts: argparse.Namespace) -> dict:
    ensure_kafka(opts.bootstrap)
    ensure_postgres(opts.pg_server)
    sizes = opts.scale or [opts.clients]
    load0 = os.getloadavg()
    result: dict[str, Any] = {
        "benchmark": "pipeline",
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "commit": git_commit(),
        "started": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_before": [round(x, 2) for x in load0],
        },
        "bootstrap": opts.bootstrap,
        "rates": opts.rates,
        "runs": [],
    }
    for clients in sizes:
        result["runs"].append(await measure(opts, clients))
    result["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    result["growth"] = growth(result["runs"])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--scale", type=lambda s: [int(x) for x in s.split(",")], default=None,
                        help="several population sizes, e.g. 10000,100000")  # fmt: skip
    parser.add_argument("--copies", type=int, default=1,
                        help="after the warm-up, copy the population's state this many times in "
                             "all (bench/replicate.py): --clients 10000 --copies 100 measures the "
                             "offered loads at 1M clients")  # fmt: skip
    parser.add_argument("--days", type=int, default=5, help="days of simulated history")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rates", type=lambda s: [float(x) for x in s.split(",")],
                        default=[500.0, 2000.0], help="offered loads, events/s")  # fmt: skip
    parser.add_argument("--duration", type=float, default=10, help="seconds per offered load")
    parser.add_argument(
        "--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    )
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER)
    parser.add_argument("--timeout", type=float, default=900, help="bound of each phase, s")
    parser.add_argument("--quiet", type=float, default=2, help="idle seconds that mean drained")
    parser.add_argument("--settle", type=float, default=2,
                        help="seconds to wait after a load drained for late sends")  # fmt: skip
    parser.add_argument("--provider-limits", action="store_true",
                        help="keep the notifier's default provider rate limits (50 SMS/s …)")  # fmt: skip
    parser.add_argument("--profile", choices=SERVICES, default=None,
                        help="run this service under pyinstrument")  # fmt: skip
    parser.add_argument("--profile-interval", type=float, default=0.002)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for every service, e.g. RELAY_POLL_INTERVAL_MS=200 (repeatable)",
    )
    parser.add_argument(
        "--idle", type=float, default=10, help="seconds the services are watched idle first"
    )
    parser.add_argument("--log-dir", default=None)
    parser.add_argument("--keep-topics", action="store_true")
    parser.add_argument(
        "--out", type=Path, default=None, help="JSON file; a PNG is written next to it"
    )
    opts = parser.parse_args(argv)
    result = asyncio.run(run(opts))
    latencies = {}
    for r in result["runs"]:
        latencies[r["clients"]] = r.get("pipeline", {}).pop("_latencies", {})
    write_result(result, opts.out, indent=1)
    print(table(result), file=sys.stderr)
    if opts.out:
        for r in result["runs"]:
            r.setdefault("pipeline", {})["_latencies"] = latencies.get(r["clients"], {})
        with contextlib.suppress(ImportError):
            plot(result, opts.out.with_suffix(".png"))
    return 0 if all(r.get("complete") for r in result["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
