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
from reach_runtime.clock import Clock, ScaledClock
from reach_runtime.stack import SERVICES, Stack

from reach_sim.brokerage import Brokerage
from reach_sim.calendar import SHANGHAI, at
from reach_sim.output import Pacer, publish
from reach_sim.population import population
from reach_sim.providers import PushService, SmsGateway, SmtpSink, WechatTemplateApi
from reach_sim.responses import ANY, ResponseModel, ResponseRates, run_in_background

DATA = Path(os.environ.get("DEMO_DATA_DIR", ".local/demo")).resolve()

# What the simulated clients do after a touch from each ready-made campaign (reach_campaign's
# library): the chance to do the campaign's goal event within the hour. A client held out does it
# with the baseline chance, so each campaign's planted uplift is its chance minus the baseline.
RATES = ResponseRates(
    {
        (name, ANY): chance
        for name, chance in {
            "开户未入金提醒": 0.30,  # new and unfunded: a first deposit
            "首笔交易感谢": 0.15,  # first trade thanks: another trade
            "首笔交易引导": 0.25,  # funded, no trade yet: a first trade
            "邀请好友": 0.12,  # invite a friend: an invitation
            "沉睡客户关怀": 0.20,  # sleeping with assets: a login
            "欢迎回来": 0.25,  # back after 30 days: a trade
            "高价值客户流出挽留": 0.35,  # valuable outflow call: money back in
            "大额转出即时回访": 0.40,  # half the assets out, call at once: money back in
            "亏损关怀": 0.15,  # deep loss care: a login
            "持仓集中度提醒": 0.10,  # concentration reminder: a trade
            "新股申购日提醒": 0.20,  # IPO day: a trade
            "稳健债券基金推荐": 0.12,  # bond fund: a purchase
            "两融资格提醒": 0.18,  # nearing the margin bar: a login
            "节日关怀": 0.08,  # festivals: a login
            "生日祝福": 0.10,  # birthdays: a login
        }.items()
    },
    baseline=0.05,
)
# The people of the maker-checker: the library loader writes the drafts, an operator submits
# them, and a second person approves marketing and care (docs/campaigns.md).
OPERATOR = {"X-Reach-Actor": "demo-operator"}
CALLBACK_SECRET = "demo-callback-secret"
APPROVER = {"X-Reach-Actor": "demo-approver"}


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


async def undelivered(http: httpx.AsyncClient, stack: Stack) -> int:
    """Sends the notifier has taken but not finished (up to 1,000 of each status)."""
    notifier = stack.url("notifier")
    count = 0
    for status in ("pending", "sending"):
        params = {"status": status, "limit": 1000}
        count += len((await http.get(f"{notifier}/sends", params=params)).json())
    return count


async def drain(http: httpx.AsyncClient, stack: Stack, *, limit_s: float = 300) -> None:
    """Until the notifier has sent what it took, and the clients' answers are processed."""
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        if not await undelivered(http, stack):
            break
        await asyncio.sleep(1)
    await settle(http, stack)


async def run() -> None:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    shutil.rmtree(DATA, ignore_errors=True)
    prefix = f"demo{datetime.now(UTC):%Y%m%d%H%M%S}."
    urls = {name: f"sqlite+aiosqlite:///{DATA / (name + '.db')}" for name in SERVICES}
    days = int(os.environ.get("DEMO_DAYS", "30"))
    start = datetime.now(SHANGHAI).date() - timedelta(days=days)
    clock: Clock
    env = {"KAFKA_TOPIC_PREFIX": prefix, "SWEEP_INTERVAL_S": "60"}
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
    else:
        # The month is streamed at once and Reach acts on it "now": 10:00 in Shanghai on the day
        # after it, whatever the hour the demo runs, so the send window (08:30-22:00) is open.
        clock = ScaledClock(start=at(start + timedelta(days=days), dtime(10, 0)),
                            wall_start=time.time(), speed=1)  # fmt: skip
        env |= {
            "CLOCK_START": clock.start.isoformat(),
            "CLOCK_WALL_START": str(clock.wall_start),
            "CLOCK_SPEED": "1",
        }
    # the providers are local fakes on real ports; they call receipts back to the notifier
    with (
        SmtpSink() as smtp,
        SmsGateway(secret=CALLBACK_SECRET) as sms,
        PushService(secret=CALLBACK_SECRET) as push,
        WechatTemplateApi(secret=CALLBACK_SECRET) as wechat,
    ):
        env |= {
            "SMTP_PORT": str(smtp.port),
            "SMS_URL": sms.url,
            "PUSH_URL": push.url,
            "WECHAT_URL": wechat.url,
            "CALLBACK_SECRET": CALLBACK_SECRET,
        }
        stack = Stack(kafka_bootstrap=bootstrap, database_urls=urls, log_dir=DATA / "logs", env=env)
        say(f"Starting the five services (logs in {DATA / 'logs'}) …")
        stack.start()
        try:
            await stack.wait_ready()
            for provider in (sms, push, wechat):
                provider.receipt_url = stack.url("notifier")
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
                    f"\nReach keeps running. Dashboard: {stack.url('analytics')}/dashboard; APIs: "
                    + ", ".join(f"{n} {stack.url(n)}/docs" for n in SERVICES)
                )
                say("Press Ctrl-C to stop.")
                await asyncio.Event().wait()
        finally:
            stack.stop()


async def load_library(http: httpx.AsyncClient, stack: Stack) -> None:
    """The ready-made segments and campaigns, loaded as `make segments` and `make campaigns` do,
    then put live the way people would: an operator submits, someone else approves marketing and
    care (scripts first), and the operator activates the service notices."""
    from reach_campaign.library import library as campaign_library
    from reach_campaign.library.loader import load as load_campaigns
    from reach_segmenter.library.loader import load as load_segments

    missing = [e.name for e in campaign_library() if (e.name, ANY) not in RATES.chances]
    if missing:
        raise RuntimeError(f"no planted response rate for the ready-made campaigns {missing}")
    segmenter, campaign = stack.url("segmenter"), stack.url("campaign")
    async with (
        httpx.AsyncClient(base_url=segmenter, timeout=120) as segments_api,
        httpx.AsyncClient(base_url=campaign, timeout=30) as campaigns_api,
    ):
        segments = await load_segments(segments_api)
        loaded = await load_campaigns(campaigns_api, segments_api)
    if loaded.missing_segments:
        raise RuntimeError("\n".join(loaded.lines()))
    for script in (await http.get(f"{campaign}/scripts")).raise_for_status().json():
        if script["purpose"] == "service":
            continue
        for version in script["versions"]:
            if version["status"] == "draft":
                base = f"{campaign}/scripts/{script['id']}/versions/{version['version']}"
                (await http.post(f"{base}/submit", headers=OPERATOR)).raise_for_status()
                (await http.post(f"{base}/approve", headers=APPROVER)).raise_for_status()
    purposes = {e.name: e.purpose for e in campaign_library()}
    live = Counter()
    for row in (await http.get(f"{campaign}/campaigns")).raise_for_status().json():
        if row["name"] not in purposes or row["status"] != "draft":
            continue
        url = f"{campaign}/campaigns/{row['id']}"
        if purposes[row["name"]] == "service":
            (await http.post(f"{url}/activate", headers=OPERATOR)).raise_for_status()
            live["service notices activated by demo-operator"] += 1
        else:
            (await http.post(f"{url}/submit", headers=OPERATOR)).raise_for_status()
            note = {"note": "checked in the demo"}
            (await http.post(f"{url}/approve", headers=APPROVER, json=note)).raise_for_status()
            live["marketing and care approved by demo-approver"] += 1
    say(
        f"Loaded the ready-made library: {len(segments.created) + len(segments.unchanged)} segments, "
        f"{len(loaded.created) + len(loaded.existing)} campaigns, live: "
        + ", ".join(f"{n} {what}" for what, n in live.items())
        + "."
    )


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
    await load_library(http, stack)

    model = ResponseModel(RATES, seed=seed)
    responder = run_in_background(model, bootstrap=bootstrap, prefix=prefix, clock=clock)
    try:
        clients = population(size, seed=seed, start=start, days=days)
        brokerage = Brokerage(clients, seed=seed, start=start, days=days)
        say(
            f"Simulating {size:,} clients over {days} days from {start} ({len(brokerage.sessions)} trading days) …"
        )
        started = time.monotonic()
        pacer = Pacer(clock=clock) if os.environ.get("DEMO_SPEED") else None
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
        if await undelivered(http, stack):
            say("  the notifier is still sending; waiting for it and for the answers …")
            await drain(http, stack)
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
    say(f"  {'responses (goal events)':28} {model.converted + model.held_out_converted:9,}")

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

    segmenter, campaign_url = stack.url("segmenter"), stack.url("campaign")
    segments = (await http.get(f"{segmenter}/segments")).json()
    segment_names = {s["id"]: s["name"] for s in segments}
    say("\nSegments (the ready-made library), by members now")
    for segment in sorted(segments, key=lambda s: -s["member_count"]):
        say(f"  {segment['name']:24} {segment['member_count']:7,}   {segment['description'][:70]}")

    campaigns = {c["id"]: c for c in (await http.get(f"{campaign_url}/campaigns")).json()}
    names = {cid: c["name"] for cid, c in campaigns.items()}
    scenes = {
        cid: scene_text(c["latest"]["spec"]["scene"], segment_names) for cid, c in campaigns.items()
    }
    summaries = {
        cid: (await http.get(f"{campaign_url}/campaigns/{cid}/decisions/summary")).json()
        for cid in campaigns
    }
    say("\nWhat Reach decided, per campaign (each trigger passes the protection gate first)")
    say(
        f"  {'campaign':18} {'purpose':9} {'requested':>9} {'held out':>8} {'stopped':>8} {'waiting':>8}  fires when"
    )
    for cid, c in sorted(campaigns.items(), key=lambda kv: kv[1]["name"]):
        d = summaries[cid]["decisions"]
        say(
            f"  {_pad(c['name'], 18)} {c['latest']['spec']['service']['purpose']:9} {d.get('requested', 0):9,} "
            f"{d.get('held_out', 0):8,} {d.get('suppressed', 0) + d.get('skipped', 0):8,} "
            f"{d.get('scheduled', 0):8,}  {scenes[cid]}"
        )

    if any(s["decisions"].get("scheduled") for s in summaries.values()):
        say("  (waiting: delayed sends not due yet, such as the next trading day at 10:00;")
        say("   they go out on time while the services keep running)")

    notifier = stack.url("notifier")
    say("\nWhat was sent to whom, and why (one example per campaign)")
    requested = (
        await http.get(f"{campaign_url}/decisions", params={"decision": "requested", "limit": 500})
    ).json()
    shown: set[str] = set()
    for decision in requested:
        if decision["campaign_id"] in shown or len(shown) >= 6:
            continue
        shown.add(decision["campaign_id"])
        sends = (
            await http.get(
                f"{notifier}/sends", params={"client_id": decision["client_id"], "limit": 20}
            )
        ).json()
        words = next(
            (x["body"] for x in sends if x["campaign_id"] == decision["campaign_id"]), None
        )
        say(
            f"  {decision['client_id']} ← {names.get(decision['campaign_id'], decision['campaign_id'])} "
            f"by {decision['channel']}, because {scenes.get(decision['campaign_id'], decision['trigger_kind'])}"
        )
        if words:
            # the notifier keeps the template; fill it from the portrait as the campaign does
            portrait = (
                await http.get(f"{stack.url('profile')}/portraits/{decision['client_id']}")
            ).json()
            say(f"      “{_clip(words.format_map(_Fill(portrait)), 90)}”")

    say("\nWhat was held back, and why (decisions stopped by each gate of the campaign service)")
    gates: Counter[str] = Counter()
    for summary in summaries.values():
        gates.update(summary["stopped_by_gate"])
    examples: dict[str, dict] = {}
    for kind in ("suppressed", "skipped"):
        for decision in (
            await http.get(f"{campaign_url}/decisions", params={"decision": kind, "limit": 500})
        ).json():
            examples.setdefault(decision["gate"] or kind, decision)
    for gate, count in gates.most_common():
        example = examples.get(gate)
        why = (
            f"   e.g. {example['client_id']}: {_clip(example['reason'] or '', 80)}"
            if example
            else ""
        )
        say(f"  {gate:16} {count:7,}{why}")
    if not gates:
        say("  nothing: no gate stopped an outreach")
    held = sum(s["decisions"].get("held_out", 0) for s in summaries.values())
    say(
        f"  {'holdout':16} {held:7,}   kept as each campaign's control group: never contacted, measured"
    )
    suppressed = (
        await http.get(f"{notifier}/sends", params={"status": "suppressed", "limit": 1000})
    ).json()
    reasons = Counter(x["last_error"].split(" (")[0] for x in suppressed if x["last_error"])
    say(
        f"  {'at send time':16} {len(suppressed):7,}   the notifier's own checks"
        + (f": {', '.join(f'{r} {n}' for r, n in reasons.most_common(3))}" if reasons else "")
    )

    results = (await http.get(f"{stack.url('analytics')}/campaigns")).json()
    sent = (await http.get(f"{notifier}/sends", params={"status": "sent", "limit": 1000})).json()
    channels = Counter(x["channel"] for x in sent)
    say(
        f"\nSends: {sum(r['sent'] for r in results):,} sent by the notifier "
        f"({', '.join(f'{c} {n}' for c, n in channels.most_common())} among the latest {len(sent):,}); "
        f"{len(smtp.received):,} e-mails received by the SMTP server"
    )
    failed = (
        await http.get(f"{notifier}/sends", params={"status": "failed", "limit": 1000})
    ).json()
    if failed:
        errors = Counter((x["last_error"] or "?").split(" (")[0] for x in failed)
        say(
            f"  {len(failed):,} failed: "
            + "; ".join(f"{_clip(e, 60)} ({n:,})" for e, n in errors.most_common(3))
        )

    say(
        "\nResults: conversion = the campaign's goal event within its window after the touch; "
        "uplift = treated − holdout, 95% CI; planted = what the simulated clients were given"
    )
    say(
        f"  {'campaign':18} {'goal':17} {'treated':>17} {'holdout':>15} {'uplift':>7} {'95% CI':>17} {'planted':>7}  verdict"
    )
    goals = {cid: c["latest"]["spec"]["goal"]["primary_event"] for cid, c in campaigns.items()}
    for r in sorted(results, key=lambda r: -r["treated"]["clients"]):
        goal = r.get("goal_event") or goals.get(r["campaign_id"], "trade.executed")
        r["goal"] = goal
        planted = RATES.planted_uplift(r["campaign_name"], ANY)
        low, high = confidence_interval(r)
        interval = f"[{low:+.1%}, {high:+.1%}]" if low is not None else "n/a"
        measured = f"{r['uplift']:+.1%}" if r["uplift"] is not None else "n/a"
        say(
            f"  {_pad(r['campaign_name'], 18)} {goal:17} "
            f"{rate(r['treated']):>17} {rate(r['holdout']):>15} {measured:>7} {interval:>17} "
            f"{planted:+7.1%}  {verdict(r, planted, low, high)}"
        )
    say(f"\nDashboard: {stack.url('analytics')}/dashboard")


def scene_text(scene: dict, segment_names: dict[str, str]) -> str:
    """A campaign's trigger in words."""
    kind = scene.get("kind")
    if kind in ("segment_entered", "segment_exited"):
        verb = "entered" if kind == "segment_entered" else "left"
        return (
            f"{verb} segment {segment_names.get(scene.get('segment_id'), scene.get('segment_id'))}"
        )
    if kind == "event":
        conditions = " and ".join(
            f"{c['field']} {OPS.get(c['op'], c['op'])} {c['value']}"
            for c in scene.get("conditions", [])
        )
        return f"{scene['event_type']}" + (f" with {conditions}" if conditions else "")
    if kind == "schedule":
        return f"schedule: {scene.get('days')} at {scene.get('at') or scene.get('cron')}"
    if kind == "inactivity":
        return f"no {scene.get('event_type')} for {scene.get('days')} days"
    if kind == "did_not":
        return f"{scene.get('event_type')} without {scene.get('then_not')} in {scene.get('within_days')} days"
    return str(kind)


OPS = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤", "in": "in"}


def confidence_interval(result: dict) -> tuple[float | None, float | None]:
    """Analytics' 95% CI of the uplift; where analytics gives none yet, the normal approximation
    of a difference of two proportions."""
    if result.get("uplift_ci_low") is not None:
        return result["uplift_ci_low"], result["uplift_ci_high"]
    t, h = result["treated"], result["holdout"]
    if not t["clients"] or not h["clients"]:
        return None, None
    p1, p2 = t["converted"] / t["clients"], h["converted"] / h["clients"]
    se = (p1 * (1 - p1) / t["clients"] + p2 * (1 - p2) / h["clients"]) ** 0.5
    return p1 - p2 - 1.96 * se, p1 - p2 + 1.96 * se


def verdict(result: dict, planted: float, low: float | None, high: float | None) -> str:
    if "goal_event" not in result and result.get("goal") != "trade.executed":
        return "not comparable: this analytics counts trades, not the campaign's goal"
    if low is None or high is None:
        return "no holdout to compare"
    gap = f"{(result['uplift'] or 0) - planted:+.1%} off"
    found = "inside" if low <= planted <= high else "outside"
    small = "; small sample, read with care" if result.get("small_sample") else ""
    return f"planted {found} the CI ({gap}){small}"


class _Fill(dict):
    """A portrait as template variables; a variable it lacks stays as {name}."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _pad(text: str, width: int) -> str:
    """Left-justify to a terminal width, counting a CJK character as two columns."""
    cells = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    return text + " " * max(0, width - cells)


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


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
