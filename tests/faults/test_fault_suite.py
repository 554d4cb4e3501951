"""The fault suite (QUALITY.md, reliability invariants): a simulated brokerage streamed through
the five services while, at seeded random moments, each service is killed with SIGKILL and
restarted, the broker and PostgreSQL are restarted, the SMS gateway answers errors and then
times out, the SMTP server refuses mail, and malformed events are published. Afterwards:

1. no loss: every portrait equals the one `python -m reach_profile replay` rebuilds;
   every segment's members are exactly the clients whose rebuilt portrait matches its rule;
2. no duplicate send: each idempotency key reached a provider at most once;
3. no missed send: every member of a campaign's segment was asked for, and every outreach
   was sent (the provider holds it) or suppressed for a reason the population confirms;
4. poison isolated: each malformed event is on the dead-letter topic with its reason, and
   the valid event behind it on the same partition was processed;
5. lag drains: every consumer group catches up and nothing waits to be sent.

Size: FAULTS_EVENTS upstream events (4,000 here; `make faults` runs 50,000); FAULTS_SEED
picks the schedule; FAULTS_RESULTS names the markdown file the results table is written to.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from reach_contracts import DEAD_LETTER_TOPIC, Event
from reach_runtime.stack import SERVICES
from reach_runtime.testing import create_database, drop_database
from reach_sim import builders as make
from reach_sim.output import publish
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from .conftest import ROOT, Servers
from .system import (
    CAMPAIGNS,
    SEGMENTS,
    Simulation,
    World,
    in_segment,
    read_all,
    replay_profile,
    running_system,
)

EVENTS = int(os.environ.get("FAULTS_EVENTS", "4000"))
SEED = int(os.environ.get("FAULTS_SEED", "20261126"))
RESULTS = Path(os.environ.get("FAULTS_RESULTS", ROOT / ".local" / "faults" / "results.md"))
PROVIDER_TIMEOUT_S = 2.0
PROVIDER_WAIT_S = 150  # an outage lasts at most this long waiting for a send to meet it
STUCK_S = float(os.environ.get("FAULTS_STUCK_S", "45"))  # not ready this long: restarted
ENV = {  # quick retries and recovery, so a short run sees each of them happen
    "PROVIDER_TIMEOUT_S": str(PROVIDER_TIMEOUT_S),
    "SEND_LEASE_S": "5",
    "RETRY_BASE_S": "0.5",
    "RETRY_CAP_S": "4",
    "MAX_ATTEMPTS": "50",
    "BREAKER_COOLDOWN_S": "2",
}
SERVICES_KILLED = ("profile", "segmenter", "campaign", "notifier", "analytics")
PROVIDER_FAULTS = ("sms gateway errors", "sms gateway timeouts", "smtp server refuses")
FAULTS = (
    *(f"kill -9 {name}" for name in SERVICES_KILLED),
    "restart broker",
    "restart postgres",
    *PROVIDER_FAULTS,
)

pytestmark = [
    pytest.mark.faults,
    pytest.mark.kafka,
    pytest.mark.postgres,
    pytest.mark.system,
    pytest.mark.timeout(max(900, EVENTS // 10)),
]


@dataclass
class Injected:
    fault: str
    at_s: float  # after the first event was published
    detail: str = ""
    recovered_s: float | None = None  # from the fault's start until the system works again
    survived: bool = True  # recovered with no process restarted by the suite
    met: int | None = None  # provider outages: requests that met the outage
    stuck: dict | None = None  # /readyz checks of services that did not recover by themselves


@dataclass
class Check:
    invariant: str
    passed: bool
    detail: str


class FaultInjector:
    def __init__(self, world: World, servers: Servers, rng: random.Random, t0: float) -> None:
        self.world, self.servers, self.rng, self.t0 = world, servers, rng, t0

    async def inject(self, fault: str, *, during: Awaitable[object] | None = None) -> Injected:
        started = time.monotonic()
        record = Injected(fault, round(started - self.t0, 1))
        if fault.startswith("kill -9 "):
            name = fault.removeprefix("kill -9 ")
            self.world.stack.kill(name)
            down = self.rng.uniform(0.3, 2)
            await asyncio.sleep(down)
            self.world.stack.start(name)
            record.detail = f"down {down:.1f} s"
            await self._all_ready(record)
        elif fault in ("restart broker", "restart postgres"):
            control = self.servers.kafka if fault == "restart broker" else self.servers.postgres
            await asyncio.to_thread(control, "stop")
            down = self.rng.uniform(1, 3)
            await asyncio.sleep(down)
            await asyncio.to_thread(control, "start")
            record.detail = f"stopped, down {time.monotonic() - started:.1f} s"
            await self._all_ready(record)
        else:
            record.detail, record.met = await self._provider_outage(fault, during)
            record.recovered_s = await self._provider_recovery(started)
            return record
        record.recovered_s = round(time.monotonic() - started, 1)
        return record

    async def _all_ready(self, record: Injected) -> None:
        """Wait until every service answers /readyz. A service that exited is started again, as
        its supervisor would; one still not ready after STUCK_S is killed and started again, as
        a supervisor's liveness check would. Either is noted: the fault was not survived alone."""
        stack, states, helped = self.world.stack, {}, []
        started = time.monotonic()
        async with httpx.AsyncClient(timeout=3) as http:
            while time.monotonic() - started < STUCK_S * 3:
                for name in SERVICES:
                    if stack._processes[name].poll() is not None:
                        helped.append(f"{name} exited and was started again")
                        stack.start(name)
                    try:
                        response = await http.get(f"{stack.url(name)}/readyz")
                        states[name] = response.status_code == 200 or response.json()["checks"]
                    except (httpx.HTTPError, ValueError) as error:
                        states[name] = type(error).__name__
                stuck = {n: v for n, v in states.items() if v is not True}
                if not stuck:
                    break
                if time.monotonic() - started > STUCK_S and not record.stuck:
                    record.stuck = stuck
                    for name in stuck:
                        helped.append(f"{name} not ready after {STUCK_S:.0f} s, restarted")
                        stack.kill(name)
                        stack.start(name)
                await asyncio.sleep(0.3)
            else:
                raise AssertionError(f"{record.fault}: still not ready: {stuck}")
        if helped:
            record.survived = False
            record.detail += "; " + "; ".join(helped)

    async def _provider_outage(
        self, fault: str, during: Awaitable[object] | None
    ) -> tuple[str, int]:
        """The provider fails from before the slice goes out until its first failed request
        plus a seeded 3-6 s, so the sends the slice causes meet the outage."""
        fakes, window, started = self.world.providers, self.rng.uniform(3, 6), time.monotonic()

        def met() -> int:
            return len(fakes.sms.requests) if fault.startswith("sms") else fakes.smtp.refused

        before = met()
        if fault == "sms gateway errors":
            fakes.sms.down = True
        elif fault == "sms gateway timeouts":
            fakes.sms.delay_s = PROVIDER_TIMEOUT_S + 1.5
        else:
            fakes.smtp.refusing = "451 4.3.0 injected outage, try again later"
        if during is not None:
            await during
        while met() == before and time.monotonic() - started < PROVIDER_WAIT_S:  # noqa: ASYNC110 (a counter another thread moves)
            await asyncio.sleep(0.1)
        first = time.monotonic() - started
        await asyncio.sleep(window)
        fakes.sms.down, fakes.sms.delay_s, fakes.smtp.refusing = False, 0.0, None
        return (
            f"{time.monotonic() - started:.1f} s (first failed request after {first:.1f} s); "
            f"{met() - before} requests met it"
        ), met() - before

    async def _provider_recovery(self, started: float) -> float | None:
        """Seconds from the outage's start until the notifier has no send pending or in flight
        (the sends the outage held back went out); None: not within two minutes."""
        async with httpx.AsyncClient(timeout=10) as http:
            while time.monotonic() - started < 120 + PROVIDER_WAIT_S:
                with contextlib.suppress(httpx.HTTPError):
                    if await self.world.pending_sends(http) == 0:
                        return round(time.monotonic() - started, 1)
                await asyncio.sleep(0.5)
        return None


async def _portraits(url: str) -> dict[str, tuple]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT client_id, version, state, portrait FROM portraits")
            )
            return {r.client_id: (r.version, _json(r.state), _json(r.portrait)) for r in rows.all()}
    finally:
        await engine.dispose()


def _difference(live: tuple | None, rebuilt: tuple | None) -> str:
    """What differs between a live and a rebuilt (version, state, portrait): live -> rebuilt."""
    if live is None or rebuilt is None:
        return f"live {live is not None}, rebuilt {rebuilt is not None}"
    parts = [f"version {live[0]} -> {rebuilt[0]}"] if live[0] != rebuilt[0] else []
    for label, a, b in (("state", live[1], rebuilt[1]), ("portrait", live[2], rebuilt[2])):
        for key in sorted(a.keys() | b.keys()):
            if a.get(key) != b.get(key):
                parts.append(f"{label}.{key} {str(a.get(key))[:80]} -> {str(b.get(key))[:80]}")
    return "; ".join(parts[:6])


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


async def _members(http: httpx.AsyncClient, world: World, segment: str) -> set[str]:
    members: set[str] = set()
    after = ""
    while True:
        page = (
            await http.get(
                f"{world.stack.url('segmenter')}/segments/{world.segments[segment]}/members",
                params={"after": after, "limit": 1000},
            )
        ).json()
        members |= {m["client_id"] for m in page}
        if len(page) < 1000:
            return members
        after = page[-1]["client_id"]


async def _first_trade(world: World, reachable: set[str]) -> None:
    """A first trade for a client with a published e-mail who has not traded yet: it enters
    'traded', whose campaign sends an e-mail, so an SMTP outage meets a send even when the slice
    it starts with brings no first trade (late in a small run). Replay and checks see it as any
    other upstream event."""
    async with httpx.AsyncClient(timeout=10) as http:
        traded = await _members(http, world, "traded")
    candidates = sorted(reachable - traded)
    if candidates:
        trade = make.trade(candidates[0], datetime.now(UTC), event_id=f"probe-{candidates[0]}")
        await world.broker.publish("trading.trades.v1", trade)


def _poison(n: int, client_id: str) -> tuple[str, bytes]:
    """A malformed message: not JSON, or JSON that fails its contract; each carries a marker."""
    marker = f"POISON-{n:03d}"
    if n % 2:
        return "trading.trades.v1", f"\x00 {marker} this is not JSON".encode()
    body = {"event_id": marker, "event_type": "login.succeeded", "client_id": client_id}
    return "trading.logins.v1", json.dumps(body).encode()  # no occurred_at, no payload


async def test_the_invariants_hold_through_crashes_restarts_outages_and_poison(
    fault_servers: Servers, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    simulation = Simulation.sized(events=EVENTS, seed=SEED)
    events = simulation.events
    faults = list(FAULTS)
    rng.shuffle(faults)
    if os.environ.get("FAULTS_ONLY"):  # to reproduce one: FAULTS_ONLY="restart postgres"
        faults = [f for f in faults if f in os.environ["FAULTS_ONLY"].split(",")]
    cuts = sorted(rng.sample(range(1, len(events)), len(faults)))
    poison_before = set(rng.sample(range(1, len(faults) + 1), min(3, len(faults))))
    slices = [events[a:b] for a, b in zip([0, *cuts], [*cuts, len(events)], strict=True)]
    prefix = f"faults{SEED}x{int(time.time())}."
    log_dir = RESULTS.parent / "logs"
    injected: list[Injected] = []
    followers: dict[str, tuple[str, Event]] = {}  # marker -> the valid event right behind it
    reachable: set[str] = set()  # clients whose e-mail address is already published
    withdrew: set[str] = set()  # clients who withdrew a consent (left out of the probe)

    async with running_system(
        bootstrap=fault_servers.bootstrap,
        server_url=fault_servers.postgres_url,
        prefix=prefix,
        log_dir=log_dir,
        env=ENV,
    ) as world:
        injector = FaultInjector(world, fault_servers, rng, time.monotonic())
        for n, (chunk, fault) in enumerate(zip(slices, [*faults, None], strict=True)):
            if n in poison_before:
                client = rng.choice(simulation.clients).client_id
                topic, value = _poison(n, client)
                await world.broker.publish(topic, value, key=client)
                follower = make.login(client, datetime.now(UTC), event_id=f"after-POISON-{n:03d}")
                await world.broker.publish("trading.logins.v1", follower)
                followers[f"POISON-{n:03d}"] = (topic, follower)
            sending = publish(
                chunk, bootstrap=world.broker.bootstrap, prefix=prefix, progress=False
            )
            if fault == "smtp server refuses":  # the slice alone may cause no e-mail
                sending = asyncio.gather(sending, _first_trade(world, reachable - withdrew))
            for e in chunk:  # who can get an e-mail from now on
                if e.event_type == "account.contact_changed" and e.payload.email:
                    reachable.add(e.client_id)
                elif e.event_type == "account.consent_changed" and not e.payload.granted:
                    withdrew.add(e.client_id)
            if fault is not None and fault in PROVIDER_FAULTS:
                # the outage starts as a slice goes out, so the sends it causes meet it
                injected.append(await injector.inject(fault, during=sending))
            else:
                await sending
                if fault is not None:
                    await asyncio.sleep(rng.uniform(0.3, 2))  # the services are mid-batch
                    injected.append(await injector.inject(fault))
            if fault is not None:
                print(f"fault: {injected[-1]}", flush=True)
        published_s = time.monotonic() - injector.t0
        drain_s = await world.drained(timeout_s=max(600, EVENTS / 20))
        checks = [
            Check(
                "lag drains",
                drain_s is not None,
                f"every group caught up, outboxes empty, no send waiting {drain_s:.0f} s after the last publish"
                if drain_s is not None
                else f"not drained after {max(600, EVENTS / 20):.0f} s: lag {await world.lag()}",
            )
        ]
        unmet = [f.fault for f in injected if f.fault in PROVIDER_FAULTS and f.met == 0]
        checks.append(
            Check(
                "each provider outage met sends",
                not unmet,
                f"{len(PROVIDER_FAULTS) - len(unmet)} of {len(PROVIDER_FAULTS)} outages met requests"
                + (f"; none reached {unmet} within {PROVIDER_WAIT_S} s" if unmet else ""),
            )
        )
        helped = [f for f in injected if not f.survived]
        checks.append(
            Check(
                "every fault survived without a restart by hand",
                not helped,
                f"{len(injected)} faults; "
                + (
                    "; ".join(f"{f.fault}: {f.stuck or f.detail}" for f in helped)
                    if helped
                    else "each service recovered by itself"
                ),
            )
        )
        checks += await _verify(world, simulation, followers, fault_servers, tmp_path)

    _report(injected, checks, events=len(events), published_s=published_s)
    failed = [c for c in checks if not c.passed]
    assert not failed, "\n".join(f"{c.invariant}: {c.detail}" for c in failed)


async def _verify(
    world: World,
    simulation: Simulation,
    followers: dict[str, tuple[str, Event]],
    servers: Servers,
    tmp_path: Path,
) -> list[Check]:
    checks: list[Check] = []
    async with httpx.AsyncClient(timeout=30) as http:
        # -- no loss ------------------------------------------------------------------------
        target = await create_database(servers.postgres_url)
        try:
            await asyncio.to_thread(replay_profile, world, target, tmp_path / "replay.log")
            live, rebuilt = (
                await _portraits(world.database_urls["profile"]),
                await _portraits(target),
            )
        finally:
            await drop_database(target)
        clients = {e.client_id for e in simulation.events}
        differ = sorted(c for c in rebuilt.keys() | live.keys() if live.get(c) != rebuilt.get(c))
        for client in differ[:3]:
            print(
                f"portrait {client} differs: {_difference(live.get(client), rebuilt.get(client))}"
            )
        checks.append(
            Check(
                "no loss: portraits equal a replay",
                not differ and clients <= live.keys(),
                f"{len(live):,} portraits, {len(rebuilt):,} rebuilt, {len(differ)} differ"
                + (
                    f" (e.g. {differ[0]}: {_difference(live.get(differ[0]), rebuilt.get(differ[0]))})"
                    if differ
                    else ""
                )
                + f"; {len(clients - live.keys())} clients missing",
            )
        )
        members = {name: await _members(http, world, name) for name in SEGMENTS}
        expected = {
            name: {c for c, (_v, _s, portrait) in rebuilt.items() if in_segment(name, portrait)}
            for name in SEGMENTS
        }
        wrong = {name: members[name] ^ expected[name] for name in SEGMENTS}
        checks.append(
            Check(
                "no loss: memberships equal the rules on the rebuilt portraits",
                not any(wrong.values()),
                "; ".join(
                    f"{name}: {len(members[name]):,} members, {len(wrong[name])} wrong"
                    for name in SEGMENTS
                ),
            )
        )

        # -- sends --------------------------------------------------------------------------
        outreach = [e for e in await world.events("reach.outreach.v1")]
        requested = {
            e.payload.idempotency_key: e for e in outreach if e.event_type == "outreach.requested"
        }
        deliveries = await world.events("reach.deliveries.v1")
        fakes = world.providers
        mail = Counter(m.message_id for m in fakes.smtp.received)
        sent_events: dict[str, set[str]] = defaultdict(set)
        outcome: dict[str, Event] = {}
        for e in deliveries:
            if e.event_type == "delivery.sent":
                sent_events[e.payload.idempotency_key].add(e.event_id)
            if e.event_type in ("delivery.sent", "delivery.suppressed", "delivery.failed"):
                outcome[e.payload.idempotency_key] = e
        doubled_mail = [m for m, n in mail.items() if n > 1]
        doubled_events = [k for k, ids in sent_events.items() if len(ids) > 1]
        sms_resent = sum(1 for k in fakes.sms.accepted if len(fakes.sms.requests_for(k)) > 1)
        checks.append(
            Check(
                "no duplicate send per idempotency key",
                not doubled_mail and not doubled_events,
                f"{sum(mail.values()):,} e-mails, {len(doubled_mail)} Message-IDs twice; "
                f"{len(fakes.sms.accepted):,} SMS accepted ({sms_resent} keys re-sent with their "
                f"out_id and de-duplicated by the gateway); {len(doubled_events)} keys with two "
                "delivery.sent",
            )
        )

        asked = defaultdict(set)
        for e in requested.values():
            asked[e.payload.campaign_id].add(e.client_id)
        unasked = {name: expected[name] - asked[world.campaigns[name]] for name in CAMPAIGNS}
        by_client = {c.client_id: c for c in simulation.clients}
        withdrawn = {
            (e.client_id, e.payload.channel)
            for e in simulation.events
            if e.event_type == "account.consent_changed" and not e.payload.granted
        }
        unknown = (
            await http.get(
                f"{world.stack.url('notifier')}/sends", params={"status": "unknown", "limit": 1000}
            )
        ).json()
        unknown_keys = {s["idempotency_key"] for s in unknown}
        missed, suppressed, retried = [], Counter(), 0
        for key, e in requested.items():
            channel = e.payload.channel
            result = outcome.get(key)
            at_provider = (
                f"<{key}@reach>" in mail if channel == "email" else key in fakes.sms.accepted
            )
            if result is not None and result.event_type == "delivery.sent" and at_provider:
                continue
            if result is not None and result.event_type == "delivery.suppressed":
                client = by_client.get(e.client_id)
                contact = client and (client.email if channel == "email" else client.phone)
                if not contact or (e.client_id, channel) in withdrawn:
                    suppressed[result.payload.reason] += 1
                    continue
            if key in unknown_keys and at_provider:
                continue  # interrupted while the provider held it: it arrived; a person confirms
            if key in unknown_keys:
                retried += 1  # as a person would after checking the provider: send it again
                await http.post(f"{world.stack.url('notifier')}/sends/{key}/retry")
                continue
            missed.append((key, channel, result.event_type if result else None))
        if retried:
            await world.drained(timeout_s=120)
            mail = Counter(m.message_id for m in fakes.smtp.received)
            missed += [
                (k, "retried", None)
                for k in unknown_keys
                if f"<{k}@reach>" not in mail and k not in fakes.sms.accepted
            ]
        checks.append(
            Check(
                "no missed send",
                not missed and not any(unasked.values()),
                f"{len(requested):,} outreach requested; "
                + "; ".join(f"{n}: {len(unasked[n])} members never asked for" for n in CAMPAIGNS)
                + f"; suppressed (no contact or consent withdrawn) {dict(suppressed)}; "
                f"{len(unknown_keys)} left 'unknown' by a crash ({retried} retried by hand); "
                f"missed {len(missed)}" + (f" e.g. {missed[:3]}" if missed else ""),
            )
        )

        # -- poison -------------------------------------------------------------------------
        dead = await read_all(world.broker.bootstrap, world.broker.prefix + DEAD_LETTER_TOPIC)
        problems = []
        for marker, (topic, follower) in followers.items():
            letters = [r for r in dead if marker.encode() in r.value]
            reasons = [dict(r.headers).get("reach-dlq-reason", b"").decode() for r in letters]
            sources = {dict(r.headers).get("reach-dlq-source-topic", b"").decode() for r in letters}
            if not letters or not all(reasons) or sources != {world.broker.prefix + topic}:
                problems.append(f"{marker} not parked with a reason ({len(letters)} letters)")
            portrait = (
                await http.get(f"{world.stack.url('profile')}/portraits/{follower.client_id}")
            ).json()
            seen = portrait.get("last_login_at")
            if seen is None or datetime.fromisoformat(seen) < follower.occurred_at.replace(
                microsecond=0
            ):
                problems.append(f"the login behind {marker} was not processed ({seen})")
        good_parked = [
            dict(r.headers).get("reach-dlq-reason", b"").decode()[:120]
            for r in dead
            if not any(marker.encode() in r.value for marker in followers)
        ]
        if good_parked:
            problems.append(f"{len(good_parked)} other messages parked, e.g. {good_parked[:2]}")
        checks.append(
            Check(
                "poison isolated",
                not problems and bool(followers),
                f"{len(followers)} malformed events, {len(dead)} dead letters (one per consuming "
                "group), each with its reason; the event behind each processed"
                + (f"; problems: {problems}" if problems else ""),
            )
        )
    return checks


def _report(
    injected: list[Injected], checks: list[Check], *, events: int, published_s: float
) -> None:
    lines = [
        f"Run: {events:,} upstream events, seed {SEED}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"faults injected over {published_s:.0f} s.",
        "",
        "| # | fault | when (s after the first event) | detail | recovered after (s) | by itself |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for n, f in enumerate(injected, 1):
        recovered = "-" if f.recovered_s is None else f"{f.recovered_s:.1f}"
        alone = "yes" if f.survived else "**no**"
        lines.append(f"| {n} | {f.fault} | {f.at_s:.1f} | {f.detail} | {recovered} | {alone} |")
    lines += ["", "| invariant | result | evidence |", "| --- | --- | --- |"]
    for c in checks:
        lines.append(f"| {c.invariant} | {'pass' if c.passed else 'FAIL'} | {c.detail} |")
    table = "\n".join(lines) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(table)
    print("\n" + table)
