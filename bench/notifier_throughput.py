"""Notifier sends per second to a local SMS gateway, next to the raw HTTP request rate to the
same gateway in the same run; and latency from outreach request to provider receipt.

    .venv/bin/python bench/notifier_throughput.py [--sends 2000] [--rate 50] [--latency-sends 500]
        [--database sqlite|postgres] [--concurrency 20] [--out bench/results/notifier.json]

1. baseline: an httpx.AsyncClient posts --sends SMS requests (distinct out_ids) straight to
   the fake gateway (reach_sim.providers.SmsGateway, a real HTTP server), --concurrency at
   a time -> requests/s;
2. throughput: the notifier runs as its own process (`python -m reach_notifier all`, SQLite
   file or a fresh PostgreSQL database); --sends clients' phone numbers are published and
   processed first; then --sends `outreach.requested` (SMS, service) are published at once;
   sends/s = --sends / (time from the first publish until the gateway accepted the last);
3. latency: once the burst's delivery events have left the outbox, --latency-sends more
   outreach published at a fixed --rate per second; latency =
   the gateway's arrival time of each send minus the instant the driver handed its outreach
   to the producer (same machine clock): p50, p95, p99, max.

The notifier's SMS rate limit is lifted (SMS_RATE_PER_S=100000) so the figure is the
notifier's, not the limit's. JSON on stdout (and --out), a short table on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer
from profile_ingest import write_result
from reach_contracts import OutreachRequested, OutreachRequestedPayload, encode
from reach_runtime.stack import Broker, Stack
from reach_runtime.testing import create_database, drop_database
from reach_sim import builders as make
from reach_sim.providers import SmsGateway

PG_SERVER = "postgresql+asyncpg://reach:reach@127.0.0.1:55432/postgres"


def log(message: str) -> None:
    print(f"[notifier_throughput] {message}", file=sys.stderr, flush=True)


def phone(n: int) -> str:
    return f"+86138{n:08d}"


def outreach(key: str, client: str) -> OutreachRequested:
    return OutreachRequested(
        event_id=f"bench-{key}",
        occurred_at=datetime.now(UTC),
        client_id=client,
        payload=OutreachRequestedPayload(
            idempotency_key=key,
            campaign_id="CMP-bench",
            campaign_name="bench",
            channel="sms",
            purpose="service",
            body="{name}您好，您的账单已出，请登录查看。",
            variables={"name": "李女士"},
            trigger_event_id="bench",
        ),
    )


async def raw_rate(gateway: SmsGateway, sends: int, concurrency: int) -> float:
    """Requests/s straight to the gateway, `concurrency` in flight."""
    queue = iter(range(sends))
    async with httpx.AsyncClient(
        base_url=gateway.url, limits=httpx.Limits(max_connections=concurrency)
    ) as http:

        async def worker() -> None:
            for n in queue:
                response = await http.post(
                    "/sms/send",
                    json={
                        "phone_numbers": phone(n),
                        "sign_name": "Reach证券",
                        "content": "【Reach证券】李女士您好，您的账单已出，请登录查看。",
                        "out_id": f"raw-{n}",
                    },
                    headers={"Authorization": f"Bearer {gateway.api_key}"},
                )
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return sends / (time.perf_counter() - started)


async def wait_for(check, timeout_s: float, interval_s: float = 0.05) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("the notifier did not finish in time")
        await asyncio.sleep(interval_s)


async def processed(url: str, topic: str) -> float:
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{url}/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("reach_events_processed_total") and f'topic="{topic}"' in line
    )


async def gauge(url: str, name: str) -> float:
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{url}/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + "{")
    )


async def main(args: argparse.Namespace) -> dict:
    total_clients = args.sends + args.latency_sends
    broker = Broker(args.bootstrap, f"bench{uuid.uuid4().hex[:8]}.")
    workdir = Path(tempfile.mkdtemp(prefix="notifier-bench-"))
    database = (
        await create_database(PG_SERVER)
        if args.database == "postgres"
        else f"sqlite+aiosqlite:///{workdir / 'notifier.db'}"
    )
    result: dict = {
        "benchmark": "notifier_throughput",
        "database": args.database,
        "sends": args.sends,
        "concurrency": args.concurrency,
    }
    with SmsGateway() as gateway:
        result["raw_http_requests_per_s"] = round(
            await raw_rate(gateway, args.sends, args.concurrency), 1
        )
        log(f"raw HTTP to the gateway: {result['raw_http_requests_per_s']} requests/s")
        stack = Stack(
            kafka_bootstrap=args.bootstrap,
            database_urls={"notifier": database},
            log_dir=workdir / "logs",
            env={
                "KAFKA_TOPIC_PREFIX": broker.prefix,
                "SMS_URL": gateway.url,
                "SMS_RATE_PER_S": "100000",
                "DISPATCH_CONCURRENCY": str(args.concurrency),
                "DISPATCH_BATCH": str(args.concurrency * 2),
                "DISPATCH_INTERVAL_S": "0.02",
                "RELAY_POLL_INTERVAL_MS": "50",
                "LOG_LEVEL": "WARNING",
            },
        )
        stack.start("notifier")
        try:
            await stack.wait_ready()
            url = stack.url("notifier")
            await broker.publish(
                "accounts.events.v1",
                *(
                    make.contact_changed(f"B{n}", datetime.now(UTC), phone=phone(n))
                    for n in range(total_clients)
                ),
            )
            deadline = time.monotonic() + 300
            while await processed(url, "accounts.events.v1") < total_clients:
                if time.monotonic() > deadline:
                    raise TimeoutError("contacts were not processed")
                await asyncio.sleep(0.2)

            accepted_before = len(gateway.accepted)
            events = [outreach(f"T-{n}", f"B{n}") for n in range(args.sends)]
            started = time.perf_counter()
            await broker.publish("reach.outreach.v1", *events)
            await wait_for(lambda: len(gateway.accepted) - accepted_before >= args.sends, 600)
            elapsed = time.perf_counter() - started
            result["notifier_sends_per_s"] = round(args.sends / elapsed, 1)
            result["ratio_notifier_to_raw"] = round(
                result["notifier_sends_per_s"] / result["raw_http_requests_per_s"], 3
            )
            log(f"notifier: {result['notifier_sends_per_s']} sends/s (burst of {args.sends})")

            deadline = time.monotonic() + 300  # the burst's delivery events are out first
            while await gauge(url, "reach_outbox_pending") > 0:
                if time.monotonic() > deadline:
                    raise TimeoutError("the outbox did not drain")
                await asyncio.sleep(0.2)

            producer = AIOKafkaProducer(
                bootstrap_servers=args.bootstrap, acks="all", enable_idempotence=True
            )
            await producer.start()
            handed: dict[str, float] = {}
            try:
                interval = 1 / args.rate
                next_at = time.monotonic()
                for n in range(args.sends, total_clients):
                    key = f"L-{n}"
                    handed[key] = time.time()
                    await producer.send(
                        broker.prefix + "reach.outreach.v1",
                        encode(outreach(key, f"B{n}")),
                        key=f"B{n}".encode(),
                    )
                    next_at += interval
                    await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                await producer.flush()
            finally:
                await producer.stop()
            await wait_for(lambda: all(k in gateway.accepted for k in handed), 600)
            arrivals = {r.key: r.at for r in gateway.requests if r.key in handed}
            latencies = sorted((arrivals[k] - handed[k]) * 1000 for k in handed)
            q = statistics.quantiles(latencies, n=100)
            result["latency_ms"] = {
                "offered_per_s": args.rate,
                "sends": len(latencies),
                "p50": round(q[49], 1),
                "p95": round(q[94], 1),
                "p99": round(q[98], 1),
                "max": round(latencies[-1], 1),
            }
            duplicates = len(gateway.requests) - len({r.key for r in gateway.requests})
            result["duplicate_requests"] = duplicates
        finally:
            stack.stop()
            if args.database == "postgres":
                await drop_database(database)
    lat = result["latency_ms"]
    log(
        f"latency at {lat['offered_per_s']}/s: p50 {lat['p50']} ms, p95 {lat['p95']} ms, "
        f"p99 {lat['p99']} ms, max {lat['max']} ms"
    )
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sends", type=int, default=2000)
    parser.add_argument("--latency-sends", type=int, default=500)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    parser.add_argument("--out", type=Path)
    arguments = parser.parse_args()
    output = asyncio.run(main(arguments))
    write_result(output, arguments.out)
