"""`make demo`: the five services on SQLite, a simulated month of a brokerage streamed through
Kafka, clients answering what Reach sends them, and a report of what Reach did.

Runs until interrupted; DEMO_ONCE=1 exits after the report. Settings: DEMO_CLIENTS (10000),
DEMO_DAYS (30), DEMO_SEED (7), DEMO_DATA_DIR (.local/demo), KAFKA_BOOTSTRAP_SERVERS, and
DEMO_SPEED: unset, the period's events are streamed as fast as the pipeline takes them; set
(say 1440, a day a minute), events arrive when simulated time reaches them and the services'
clocks follow simulated time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from reach_runtime.clock import Clock, ScaledClock, SystemClock
from reach_runtime.stack import SERVICES, Stack

from reach_sim.brokerage import Brokerage
from reach_sim.calendar import SHANGHAI, at
from reach_sim.output import Pacer, publish
from reach_sim.population import population
from reach_sim.providers import SmtpSink
from reach_sim.responses import ANY, ResponseModel, ResponseRates, run_in_background

DATA = Path(os.environ.get("DEMO_DATA_DIR", ".local/demo")).resolve()

SEGMENTS = [
    {
        "name": "Traded this week",
        "description": "Scene 1: thank a client for trading",
        "rule": {"all": [{"field": "last_trade_at", "op": "within", "value": "7d"}]},
    },
    {
        "name": "Large outflow",
        "description": "Scene 3: a valuable client moving money out",
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
        "body": "Dear client {client_id}, thank you for trading with us this week. "
        "Your advisor is here if you need anything.",
    },
    {
        "segment": "Large outflow",
        "name": "Retention call-back",
        "channel": "email",
        "purpose": "service",
        "holdout_percent": 10,
        "subject": "Can we help?",
        "body": "Dear client {client_id}, we noticed a large transfer. Your advisor will call to see how we can help.",
    },
]
# What the simulated clients do after a touch: the uplift Reach should measure.
RATES = ResponseRates(
    {("Thank you for trading", ANY): 0.30, ("Retention call-back", ANY): 0.20}, baseline=0.05
)


def say(text: str = "") -> None:
    print(text, flush=True)


async def service_counts(http: httpx.AsyncClient, stack: Stack) -> dict[str, Counter[str]]:
    """Per service, its reach_* counters summed over labels (processed, duplicate, …)."""
    result = {}
    for name in SERVICES:
        counts: Counter[str] = Counter()
        for family in text_string_to_metric_families(
            (await http.get(f"{stack.url(name)}/metrics")).text
        ):
            for sample in family.samples:
                if sample.name.startswith("reach_") and sample.name.endswith("_total"):
                    counts[sample.name.removeprefix("reach_").removesuffix("_total")] += (
                        sample.value
                    )
        result[name] = counts
    return result


async def settle(
    http: httpx.AsyncClient, stack: Stack, *, quiet_s: float = 4, limit_s: float = 900
) -> float:
    """Wait until no service has processed anything new for `quiet_s` seconds, showing progress."""
    last, since, started = None, time.monotonic(), time.monotonic()
    while time.monotonic() - started < limit_s:
        now = await service_counts(http, stack)
        processed = {name: counts["events_processed"] for name, counts in now.items()}
        if processed != last:
            last, since = processed, time.monotonic()
            line = "  ".join(f"{name} {n:,.0f}" for name, n in processed.items())
            print(f"\r  {since - started:5.1f}s  processed: {line}   ", end="", flush=True)
        elif time.monotonic() - since >= quiet_s:
            print(flush=True)
            return since - started
        await asyncio.sleep(0.5)
    print(flush=True)
    return time.monotonic() - started


async def run() -> None:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    shutil.rmtree(DATA, ignore_errors=True)
    prefix = f"demo{datetime.now(UTC):%Y%m%d%H%M%S}."
    urls = {name: f"sqlite+aiosqlite:///{DATA / (name + '.db')}" for name in SERVICES}
    days = int(os.environ.get("DEMO_DAYS", "30"))
    start = datetime.now(SHANGHAI).date() - timedelta(days=days)
    clock: Clock = SystemClock()
    env = {"KAFKA_TOPIC_PREFIX": prefix, "RELAY_POLL_INTERVAL_MS": "50", "SWEEP_INTERVAL_S": "60"}
    if os.environ.get("DEMO_SPEED"):
        speed = float(os.environ["DEMO_SPEED"])
        # simulated time starts when the services are up (about 20 s from now)
        clock = ScaledClock(start=at(start, dtime(8, 0)), wall_start=time.time() + 20, speed=speed)
        env |= {
            "CLOCK_START": clock.start.isoformat(),
            "CLOCK_WALL_START": str(clock.wall_start),
            "CLOCK_SPEED": str(speed),
            "SWEEP_INTERVAL_S": str(max(1.0, 3600 / speed)),
        }
    with SmtpSink() as smtp:
        env["SMTP_PORT"] = str(smtp.port)
        stack = Stack(kafka_bootstrap=bootstrap, database_urls=urls, log_dir=DATA / "logs", env=env)
        say(f"Starting the five services (logs in {DATA / 'logs'}) …")
        stack.start()
        try:
            await stack.wait_ready()
            async with httpx.AsyncClient(timeout=30) as http:
                await demo(
                    http,
                    stack,
                    smtp,
                    bootstrap=bootstrap,
                    prefix=prefix,
                    start=start,
                    days=days,
                    clock=clock,
                )
                if os.environ.get("DEMO_ONCE"):
                    return
                say(
                    "\nReach keeps running. APIs: "
                    + ", ".join(f"{n} {stack.url(n)}/docs" for n in SERVICES)
                )
                say("Press Ctrl-C to stop.")
                await asyncio.Event().wait()
        finally:
            stack.stop()


async def demo(
    http: httpx.AsyncClient,
    stack: Stack,
    smtp: SmtpSink,
    *,
    bootstrap: str,
    prefix: str,
    start: date,
    days: int,
    clock: Clock,
) -> None:
    size = int(os.environ.get("DEMO_CLIENTS", "10000"))
    seed = int(os.environ.get("DEMO_SEED", "7"))
    segments = {}
    for body in SEGMENTS:
        segment = (
            (await http.post(f"{stack.url('segmenter')}/segments", json=body))
            .raise_for_status()
            .json()
        )
        segments[segment["name"]] = segment["id"]
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
    say(f"Created {len(SEGMENTS)} segments and {len(CAMPAIGNS)} active campaigns.")

    model = ResponseModel(RATES, seed=seed)
    responder = run_in_background(model, bootstrap=bootstrap, prefix=prefix, clock=clock)
    try:
        clients = population(size, seed=seed, start=start, days=days)
        brokerage = Brokerage(clients, seed=seed, start=start, days=days)
        say(
            f"Simulating {size:,} clients over {days} days from {start} ({len(brokerage.sessions)} trading days) …"
        )
        started = time.monotonic()
        pacer = Pacer(clock=clock) if isinstance(clock, ScaledClock) else None
        if pacer:
            say(
                f"Simulated time runs {clock.speed:g}× faster than the wall clock from {clock.start:%Y-%m-%d %H:%M} UTC."
            )
        by_topic = await publish(
            brokerage.history(), bootstrap=bootstrap, prefix=prefix, pacer=pacer
        )
        say(
            f"Published {sum(by_topic.values()):,} upstream events in {time.monotonic() - started:.1f}s; "
            "Reach at work, and clients answering what it sends:"
        )
        await settle(http, stack)
        say(f"… the pipeline settled {time.monotonic() - started:.0f}s after the first event.")
    finally:
        responder.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await responder
    await report(http, stack, smtp, clients, by_topic, model)


async def report(http, stack, smtp, clients, by_topic, model) -> None:
    say("\nUpstream events")
    for topic, count in sorted(by_topic.items()):
        say(f"  {topic:28} {count:9,}")
    say(f"  {'responses (trades)':28} {model.converted + model.held_out_converted:9,}")

    say("\nWhat each service did")
    for name, c in (await service_counts(http, stack)).items():
        say(
            f"  {name:10} processed {c['events_processed']:9,.0f}   duplicates {c['events_duplicate']:5,.0f}"
            f"   dead-lettered {c['events_dead_lettered']:4,.0f}   emitted {c['outbox_relayed']:9,.0f}"
        )

    trader = next(c for c in clients if c.behaviour == "active_trader")
    portrait = (await http.get(f"{stack.url('profile')}/portraits/{trader.client_id}")).json()
    say(
        f"\nOne portrait ({trader.client_id}, an active trader; {len(portrait)} fields, a few shown)"
    )
    for group in PORTRAIT_SHOWN:
        say("  " + "   ".join(f"{key} {_short(portrait.get(key))}" for key in group))

    advisor = trader.advisor_id
    urgent = (
        await http.get(
            f"{stack.url('profile')}/portraits",
            params={"advisor_id": advisor, "sort": "urgency", "limit": 5},
        )
    ).json()
    say(f"\nAdvisor {advisor}: my clients, most urgent first")
    for p in urgent:
        say(
            f"  {p['client_id']}  {p['lifecycle_stage']:9} tier {p['value_tier']:14} churn {','.join(p['churn_reasons']) or '-':22}"
            f" drawdown {_short(p['drawdown_90d'])}  assets {_short(p['total_assets'])}"
        )

    say("\nSegments")
    for segment in (await http.get(f"{stack.url('segmenter')}/segments")).json():
        say(
            f"  {segment['name']:22} {segment['member_count']:7,} members   {segment['description']}"
        )

    notifier = stack.url("notifier")
    sent = (await http.get(f"{notifier}/sends", params={"status": "sent", "limit": 1})).json()
    suppressed = (
        await http.get(f"{notifier}/sends", params={"status": "suppressed", "limit": 1000})
    ).json()
    reasons = Counter(s["last_error"].split(" (")[0] for s in suppressed)
    say(
        f"\nSends: {len(smtp.received):,} e-mails received by the SMTP server; {len(suppressed):,} suppressed "
        f"({', '.join(f'{r}: {n}' for r, n in reasons.most_common(3)) or 'none'})"
    )
    if sent:
        say(f"  e.g. to {sent[0]['client_id']}: “{sent[0]['subject']}” — {sent[0]['body']}")

    say("\nResults (conversion = a trade within 7 days of the touch), measured against planted")
    for r in (await http.get(f"{stack.url('analytics')}/campaigns")).json():
        measured = f"{r['uplift']:+.1%}" if r["uplift"] is not None else "n/a"
        planted = RATES.planted_uplift(r["campaign_name"], ANY)
        say(
            f"  {r['campaign_name']:22} sent {r['sent']:5,}  converted {rate(r['treated'])}   "
            f"held out {r['held_out']:4,}  converted {rate(r['holdout'])}   uplift {measured} (planted {planted:+.1%})"
        )


PORTRAIT_SHOWN = (
    ("lifecycle_stage", "value_tier", "risk_level", "advisor_id", "age_band", "years_in_market"),
    ("trades_30d", "logins_30d", "trading_frequency", "preferred_channel", "preferred_instrument"),
    ("total_assets", "avg_assets_20d", "net_inflow_30d", "unrealised_pnl_ratio", "drawdown_90d"),
    ("holdings_count", "largest_position_share", "churn_risk", "margin_eligible", "version"),
)


def _short(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return "-" if value is None else str(value)


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
