"""The five services as processes with every fake provider, a simulated brokerage to feed them,
and what the fault and privacy tests read back: topics end to end, consumer lag, the providers.

Shared by tests/faults (which restarts its own Kafka and PostgreSQL) and tests/test_privacy.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families
from reach_contracts import Event, decode
from reach_runtime.kafka import partitions_of
from reach_runtime.stack import SERVICES, Broker, Stack
from reach_runtime.testing import create_database, drop_database
from reach_sim.brokerage import Brokerage
from reach_sim.population import Client, population
from reach_sim.providers import PushService, SmsGateway, SmtpSink, WechatTemplateApi

ROOT = Path(__file__).resolve().parents[2]
SECRET = "faults-callback-secret"
ACTOR = {"X-Reach-Actor": "fault-suite"}

# Two service notices (no caps, no send window, no consent needed for service): an e-mail to
# every client who has traded, an SMS to every client holding 300,000 CNY or more.
SEGMENTS = {
    "traded": {
        "name": "Has traded",
        "rule": {"all": [{"field": "trade_count", "op": "gte", "value": 1}]},
    },
    "vip": {
        "name": "Holds 300k or more",
        "rule": {"all": [{"field": "total_assets", "op": "gte", "value": 300000}]},
    },
}
CAMPAIGNS = {
    "traded": {
        "name": "Thank you for trading",
        "channel": "email",
        "purpose": "service",
        "holdout_percent": 0,
        "subject": "Thank you",
        "body": "Dear client {client_id}, thank you for trading with us.",
    },
    "vip": {
        "name": "Your statement is ready",
        "channel": "sms",
        "purpose": "service",
        "holdout_percent": 0,
        "body": "尊敬的客户{client_id}，您的对账单已生成。",
    },
}


def in_segment(name: str, portrait: dict[str, Any]) -> bool:
    """SEGMENTS' rules, evaluated in Python on a portrait (the reference for memberships)."""
    if name == "traded":
        return (portrait.get("trade_count") or 0) >= 1
    return float(portrait.get("total_assets") or 0) >= 300000


@dataclass
class Simulation:
    """A seeded population and the upstream events of its period, in time order."""

    clients: list[Client]
    events: list[Event]

    @classmethod
    def of(cls, *, clients: int, days: int, seed: int) -> Simulation:
        start = datetime.now(UTC).date() - timedelta(days=days)
        people = population(clients, seed=seed, start=start, days=days)
        return cls(people, list(Brokerage(people, seed=seed, start=start, days=days).history()))

    @classmethod
    def sized(cls, *, events: int, seed: int, days: int = 30) -> Simulation:
        """At least `events` events (about 16 per client over 30 days)."""
        clients = max(50, events // 15)
        while True:
            simulation = cls.of(clients=clients, days=days, seed=seed)
            if len(simulation.events) >= events:
                return simulation
            clients = int(clients * 1.05) + 1

    def contacts(self) -> tuple[set[str], set[str]]:
        """Every phone number and e-mail address of the population."""
        phones = {c.phone for c in self.clients if c.phone}
        emails = {c.email for c in self.clients if c.email}
        return phones, emails


@dataclass
class Providers:
    sms: SmsGateway
    push: PushService
    wechat: WechatTemplateApi
    smtp: SmtpSink


@contextlib.contextmanager
def providers() -> Iterator[Providers]:
    with (
        SmsGateway(secret=SECRET) as sms,
        PushService(secret=SECRET) as push,
        WechatTemplateApi(secret=SECRET) as wechat,
        SmtpSink() as smtp,
    ):
        yield Providers(sms, push, wechat, smtp)


class SpanCollector:
    """An OTLP/HTTP endpoint on 127.0.0.1 that keeps the raw bodies of the spans it receives."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                collector.bodies.append(self.rfile.read(int(self.headers["Content-Length"] or 0)))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> SpanCollector:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class World:
    """The running system: its processes, its topics, its providers."""

    stack: Stack
    broker: Broker
    providers: Providers
    database_urls: dict[str, str]
    segments: dict[str, str] = field(default_factory=dict)  # our name -> segment id
    campaigns: dict[str, str] = field(default_factory=dict)  # our name -> campaign id

    @property
    def groups(self) -> dict[str, str]:
        return {name: f"{self.broker.prefix}reach-{name}" for name in SERVICES}

    async def create_campaigns(self) -> None:
        async with httpx.AsyncClient(timeout=30, headers=ACTOR) as http:
            for name, body in SEGMENTS.items():
                response = await http.post(f"{self.stack.url('segmenter')}/segments", json=body)
                self.segments[name] = response.raise_for_status().json()["id"]
            for name, spec in CAMPAIGNS.items():
                body = {**spec, "trigger_segment_id": self.segments[name]}
                response = await http.post(f"{self.stack.url('campaign')}/campaigns", json=body)
                self.campaigns[name] = campaign = response.raise_for_status().json()["id"]
                activated = await http.post(
                    f"{self.stack.url('campaign')}/campaigns/{campaign}/activate"
                )
                activated.raise_for_status()

    async def lag(self) -> dict[str, int]:
        """Per service, messages on the topics it consumes that it has not committed yet, plus
        its outbox rows not yet published. The topics are those its consumer reports in
        /metrics; the offsets are the group's committed ones, read from Kafka."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.broker.bootstrap)
        reader = AIOKafkaConsumer(bootstrap_servers=self.broker.bootstrap, group_id=None)
        await admin.start()
        await reader.start()
        try:
            result = {}
            async with httpx.AsyncClient(timeout=10) as http:
                for name, group in self.groups.items():
                    metrics = (await http.get(f"{self.stack.url(name)}/metrics")).text
                    topics, outbox = set(), 0.0
                    for family in text_string_to_metric_families(metrics):
                        for sample in family.samples:
                            if sample.name == "reach_consumer_lag":
                                topics.add(sample.labels["topic"])
                            elif sample.name == "reach_outbox_pending":
                                outbox += sample.value
                    committed = await admin.list_consumer_group_offsets(group)
                    topics |= {tp.topic for tp in committed}
                    partitions = await partitions_of(self.broker.bootstrap, sorted(topics))
                    ends = await reader.end_offsets(partitions) if partitions else {}
                    result[name] = int(outbox) + sum(
                        ends[tp] - (committed[tp].offset if tp in committed else 0)
                        for tp in partitions
                    )
            return result
        finally:
            await reader.stop()
            await admin.close()

    async def end_offsets(self) -> int:
        """The sum of the end offsets of every topic under the prefix (grows while work goes on)."""
        reader = AIOKafkaConsumer(bootstrap_servers=self.broker.bootstrap, group_id=None)
        await reader.start()
        try:
            topics = [t for t in await reader.topics() if t.startswith(self.broker.prefix)]
            partitions = await partitions_of(self.broker.bootstrap, topics)
            return sum((await reader.end_offsets(partitions)).values()) if partitions else 0
        finally:
            await reader.stop()

    async def pending_sends(self, http: httpx.AsyncClient) -> int:
        url = f"{self.stack.url('notifier')}/sends"
        total = 0
        for status in ("pending", "sending"):
            total += len((await http.get(url, params={"status": status, "limit": 1000})).json())
        return total

    async def drained(self, *, timeout_s: float, quiet_s: float = 6) -> float | None:
        """Seconds until no service lags, no send waits and no topic grows for `quiet_s`; None
        when that does not happen within `timeout_s`."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        quiet_since, last = None, None
        async with httpx.AsyncClient(timeout=10) as http:
            while loop.time() - started < timeout_s:
                try:
                    idle = (
                        sum((await self.lag()).values()) == 0
                        and await self.pending_sends(http) == 0
                    )
                    ends = await self.end_offsets()
                except Exception:  # a server restarting: not drained yet
                    idle, ends = False, None
                if idle and ends == last:
                    quiet_since = quiet_since or loop.time()
                    if loop.time() - quiet_since >= quiet_s:
                        return quiet_since - started
                else:
                    quiet_since = None
                last = ends
                await asyncio.sleep(1)
        return None

    async def read(self, topic: str) -> list[ConsumerRecord]:
        """Every record of a topic (under the prefix) up to its end now."""
        return await read_all(self.broker.bootstrap, self.broker.prefix + topic)

    async def events(self, topic: str) -> list[Event]:
        return [decode(topic, r.value) for r in await self.read(topic)]


async def read_all(bootstrap: str, topic: str) -> list[ConsumerRecord]:
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await reader.start()
    try:
        partitions = await partitions_of(bootstrap, [topic])
        if not partitions:
            return []
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        ends = await reader.end_offsets(partitions)
        records: list[ConsumerRecord] = []
        while [tp for tp in partitions if await reader.position(tp) < ends[tp]]:
            for tp, batch in (await reader.getmany(timeout_ms=500)).items():
                records.extend(r for r in batch if r.offset < ends[tp])
        return records
    finally:
        await reader.stop()


@contextlib.asynccontextmanager
async def running_system(
    *,
    bootstrap: str,
    server_url: str,
    prefix: str,
    log_dir: Path,
    env: dict[str, str] | None = None,
) -> AsyncIterator[World]:
    """The five services on their own PostgreSQL databases, with every provider faked locally."""
    urls = {name: await create_database(server_url) for name in SERVICES}
    broker = Broker(bootstrap, prefix)
    with providers() as fakes:
        stack = Stack(
            kafka_bootstrap=bootstrap,
            database_urls=urls,
            log_dir=log_dir,
            env={
                "KAFKA_TOPIC_PREFIX": prefix,
                "LOG_LEVEL": "INFO",
                "RELAY_POLL_INTERVAL_MS": "50",
                "SMTP_PORT": str(fakes.smtp.port),
                "SMS_URL": fakes.sms.url,
                "PUSH_URL": fakes.push.url,
                "WECHAT_URL": fakes.wechat.url,
                "CALLBACK_SECRET": SECRET,
                "DISPATCH_INTERVAL_S": "0.1",
                "SMS_RATE_PER_S": "1000",
                "EMAIL_RATE_PER_S": "1000",
                **(env or {}),
            },
        )
        stack.start()
        try:
            await stack.wait_ready(timeout_s=180)
            for provider in (fakes.sms, fakes.push, fakes.wechat):
                provider.receipt_url = stack.url("notifier")  # the port survives restarts
            world = World(stack, broker, fakes, urls)
            await world.create_campaigns()
            yield world
        finally:
            stack.stop()
            with contextlib.suppress(Exception):
                await broker.delete_topics()
            for url in urls.values():
                with contextlib.suppress(Exception):
                    await drop_database(url)


def replay_profile(world: World, target_url: str, log: Path) -> None:
    """`python -m reach_profile replay` into an empty database: the portraits from scratch."""
    env = {
        **os.environ,
        **world.stack.env,
        "KAFKA_BOOTSTRAP_SERVERS": world.broker.bootstrap,
        "DATABASE_URL": target_url,
    }
    with log.open("ab") as out:
        subprocess.run(
            [sys.executable, "-m", "reach_profile", "replay"],
            env=env,
            stdout=out,
            stderr=out,
            check=True,
            timeout=1800,
        )
