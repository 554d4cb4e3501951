"""`make demo`: the five services on SQLite, a synthetic brokerage day streamed through Kafka,
and what Reach did with it. Runs until interrupted; DEMO_ONCE=1 exits after the report.

Settings: DEMO_CLIENTS (2000), DEMO_SEED (7), DEMO_DATA_DIR (.local/demo),
KAFKA_BOOTSTRAP_SERVERS (127.0.0.1:9092).
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from reach_contracts import Event
from reach_runtime.stack import SERVICES, Broker, Stack

from reach_sim.day import DayGenerator, last_trading_day, topic_of
from reach_sim.population import population
from reach_sim.providers import SmtpSink

DATA = Path(os.environ.get("DEMO_DATA_DIR", ".local/demo")).resolve()

SEGMENTS = [
    {
        "name": "Traded this week",
        "description": "Scene 1: thank a client for trading",
        "rule": {"all": [{"field": "last_trade_at", "op": "within", "value": "7d"}]},
    },
    {
        "name": "Large outflow",
        "description": "Scene 3: churn warning, a valuable client moving money out",
        "rule": {"all": [{"field": "net_inflow_total", "op": "lt", "value": -100000}]},
    },
    {
        "name": "Valid accounts",
        "description": "Total assets of at least 10,000 CNY",
        "rule": {"all": [{"field": "total_assets", "op": "gte", "value": 10000}]},
    },
]
CAMPAIGNS = [
    {
        "segment": "Traded this week",
        "name": "Thank you for trading",
        "channel": "email",
        "purpose": "service",
        "holdout_percent": 20,
        "subject": "Thank you from your advisor",
        "body": "Dear client {client_id}, thank you for trading with us this week. Your advisor is here if you need anything.",
    },
    {
        "segment": "Large outflow",
        "name": "Retention call-back",
        "channel": "email",
        "purpose": "service",
        "holdout_percent": 0,
        "subject": "Can we help?",
        "body": "Dear client {client_id}, we noticed a large transfer. Your advisor will call to see how we can help.",
    },
]


def say(text: str = "") -> None:
    print(text, flush=True)


async def publish(broker: Broker, events: list[Event]) -> Counter[str]:
    by_topic: Counter[str] = Counter()
    from aiokafka import AIOKafkaProducer
    from reach_contracts import encode

    producer = AIOKafkaProducer(
        bootstrap_servers=broker.bootstrap, acks="all", enable_idempotence=True, linger_ms=20
    )
    await producer.start()
    try:
        pending = []
        for event in events:
            topic = topic_of(event)
            pending.append(
                await producer.send(
                    broker.prefix + topic, encode(event), key=event.client_id.encode()
                )
            )
            by_topic[topic] += 1
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return by_topic


async def processed(http: httpx.AsyncClient, stack: Stack) -> dict[str, dict[str, float]]:
    """Per service: events processed, duplicates skipped, dead-lettered, outbox relayed."""
    result = {}
    for name in SERVICES:
        text = (await http.get(f"{stack.url(name)}/metrics")).text
        counts: Counter[str] = Counter()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name.endswith("_total") and sample.name.startswith("reach_"):
                    counts[sample.name.removeprefix("reach_").removesuffix("_total")] += (
                        sample.value
                    )
        result[name] = dict(counts)
    return result


async def settle(
    http: httpx.AsyncClient, stack: Stack, *, quiet_s: float = 3, limit_s: float = 300
) -> None:
    """Wait until no service has processed anything new for `quiet_s` seconds, showing progress."""
    last, since, started = None, time.monotonic(), time.monotonic()
    while time.monotonic() - started < limit_s:
        now = await processed(http, stack)
        if now != last:
            last, since = now, time.monotonic()
            progress = "  ".join(
                f"{name} {counts.get('events_processed', 0):,.0f}" for name, counts in now.items()
            )
            print(f"\r  {time.monotonic() - started:5.1f}s  processed: {progress}   ", end="", flush=True)
        elif time.monotonic() - since >= quiet_s:
            print(flush=True)
            return
        await asyncio.sleep(0.5)


async def run() -> None:
    size = int(os.environ.get("DEMO_CLIENTS", "2000"))
    seed = int(os.environ.get("DEMO_SEED", "7"))
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    shutil.rmtree(DATA, ignore_errors=True)
    broker = Broker(bootstrap, f"demo{datetime.now(UTC):%Y%m%d%H%M%S}.")
    urls = {name: f"sqlite+aiosqlite:///{DATA / (name + '.db')}" for name in SERVICES}

    with SmtpSink() as smtp:
        stack = Stack(
            kafka_bootstrap=bootstrap,
            database_urls=urls,
            log_dir=DATA / "logs",
            env={
                "KAFKA_TOPIC_PREFIX": broker.prefix,
                "SMTP_PORT": str(smtp.port),
                "RELAY_POLL_INTERVAL_MS": "50",
                "SWEEP_INTERVAL_S": "30",
            },
        )
        say(f"Starting the five services (logs in {DATA / 'logs'}) …")
        stack.start()
        try:
            await stack.wait_ready()
            async with httpx.AsyncClient(timeout=30) as http:
                await demo(http, stack, broker, smtp, size=size, seed=seed)
                if os.environ.get("DEMO_ONCE"):
                    return
                say(
                    "\nReach keeps running. APIs: "
                    + ", ".join(f"{n} {stack.url(n)}/docs" for n in SERVICES)
                )
                say("Press Ctrl-C to stop.")
                await asyncio.Event().wait()  # until Ctrl-C
        finally:
            stack.stop()


async def demo(
    http: httpx.AsyncClient, stack: Stack, broker: Broker, smtp: SmtpSink, *, size: int, seed: int
) -> None:
    segments = {}
    for body in SEGMENTS:
        segment = (
            (await http.post(f"{stack.url('segmenter')}/segments", json=body))
            .raise_for_status()
            .json()
        )
        segments[segment["name"]] = segment["id"]
    campaigns = {}
    for spec in CAMPAIGNS:
        body = {k: v for k, v in spec.items() if k != "segment"} | {
            "trigger_segment_id": segments[spec["segment"]]
        }
        campaign = (
            (await http.post(f"{stack.url('campaign')}/campaigns", json=body))
            .raise_for_status()
            .json()
        )
        (
            await http.post(f"{stack.url('campaign')}/campaigns/{campaign['id']}/activate")
        ).raise_for_status()
        campaigns[campaign["id"]] = campaign["name"]
    say(f"Created {len(segments)} segments and {len(campaigns)} active campaigns.")

    now = datetime.now(UTC)
    day = last_trading_day(now)
    clients = population(size, seed=seed, today=day)
    days = DayGenerator(seed=seed, day=day)
    events = [e for c in clients for e in days.onboarding(c)]
    events += sorted((e for c in clients for e in days.trading_day(c)), key=lambda e: e.occurred_at)
    say(
        f"Streaming {len(events):,} upstream events of {size:,} clients for the trading day {day} …"
    )
    started = time.monotonic()
    by_topic = await publish(broker, events)
    await settle(http, stack)
    say(f"… the pipeline settled {time.monotonic() - started:.1f}s after the first event.\n")
    for topic, count in sorted(by_topic.items()):
        say(f"  {topic:28} {count:7,} events")

    # Clients react: some who were thanked trade again; held-out clients trade less often.
    rng = random.Random(seed)
    thanked = {m.to[0] for m in smtp.received}
    by_email = {c.email: c for c in clients if c.email}
    reactions = {
        c.client_id: c for e, c in by_email.items() if e in thanked and rng.random() < 0.35
    }
    reactions |= {c.client_id: c for c in clients if rng.random() < 0.05}
    later = DayGenerator(seed=seed + 1, day=day)
    await publish(
        broker, [later.trade(c, "follow-up", at=datetime.now(UTC)) for c in reactions.values()]
    )
    await settle(http, stack)

    say("\nWhat each service did")
    for name, counts in (await processed(http, stack)).items():
        say(
            f"  {name:10} processed {counts.get('events_processed', 0):7,.0f}   duplicates "
            f"{counts.get('events_duplicate', 0):4,.0f}   dead-lettered {counts.get('events_dead_lettered', 0):3,.0f}"
            f"   emitted {counts.get('outbox_relayed', 0):7,.0f}"
        )

    traders = [c for c in clients if c.behaviour == "active_trader"]
    portrait = (await http.get(f"{stack.url('profile')}/portraits/{traders[0].client_id}")).json()
    say(f"\nOne portrait ({traders[0].client_id}):")
    for key in (
        "lifecycle_stage",
        "risk_level",
        "advisor_id",
        "trade_count",
        "trade_amount_total",
        "last_trade_at",
        "login_count",
        "total_assets",
        "net_inflow_total",
        "version",
    ):
        say(f"  {key:20} {portrait.get(key)}")

    say("\nSegments")
    for segment in (await http.get(f"{stack.url('segmenter')}/segments")).json():
        say(f"  {segment['name']:22} {segment['member_count']:6,} members")

    sent = (
        await http.get(f"{stack.url('notifier')}/sends", params={"status": "sent", "limit": 1})
    ).json()
    suppressed = (
        await http.get(
            f"{stack.url('notifier')}/sends", params={"status": "suppressed", "limit": 1000}
        )
    ).json()
    say(
        f"\nSends: {len(smtp.received):,} e-mails received by the SMTP server; "
        f"{len(suppressed):,} suppressed (for example: {suppressed[0]['last_error'] if suppressed else '-'})"
    )
    if sent:
        say(f"  e.g. to {sent[0]['client_id']}: “{sent[0]['subject']}” — {sent[0]['body']}")

    say("\nResults (conversion = a trade within 7 days of the touch)")
    outreach = (await http.get(f"{stack.url('analytics')}/campaigns")).json()
    for r in outreach:
        uplift = f"{r['uplift']:+.1%}" if r["uplift"] is not None else "n/a"
        say(
            f"  {r['campaign_name']:24} sent {r['sent']:5,}  held out {r['held_out']:4,}  "
            f"converted {rate(r['treated'])}  holdout {rate(r['holdout'])}  uplift {uplift}"
        )


def rate(group: dict) -> str:
    share = f" = {group['rate']:.1%}" if group["rate"] is not None else ""
    return f"{group['converted']:,}/{group['clients']:,}{share}"


def main() -> None:
    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        say("\nStopped.")


if __name__ == "__main__":
    main()
