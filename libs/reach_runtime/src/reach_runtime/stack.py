"""The five services as real processes on this machine, and a way to talk to their topics:
for the demo, the system tests and the benchmarks."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient
from reach_contracts import Event, encode

SERVICES = ("profile", "segmenter", "campaign", "notifier", "analytics")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    """Starts `python -m reach_<name> all` for each service with its own port and database."""

    kafka_bootstrap: str
    database_urls: dict[str, str]
    log_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    _processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self, *services: str, role: str = "all") -> None:
        """Start each service (all five by default) as `python -m reach_<name> <role>`.

        A service may be started again under another role: each process is named `name` or
        `name:role` and gets its own port.
        """
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for service in services or SERVICES:
            name = service if role == "all" else f"{service}:{role}"
            self.ports.setdefault(name, free_port())
            env = {
                **os.environ,
                "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap,
                "DATABASE_URL": self.database_urls[service],
                "HTTP_PORT": str(self.ports[name]),
                **self.env,
            }
            log = (self.log_dir / f"{name}.log").open("ab")
            self._processes[name] = subprocess.Popen(
                [sys.executable, "-m", f"reach_{service}", role],
                env=env,
                stdout=log,
                stderr=log,
            )

    async def wait_ready(self, timeout_s: float = 120) -> None:
        """Until every service answers /readyz with 200; fails with the log tail of a dead one."""
        async with httpx.AsyncClient(timeout=2) as client:
            async with asyncio.timeout(timeout_s):
                for name in self._processes:
                    while True:
                        self._raise_if_dead(name)
                        try:
                            if (await client.get(f"{self.url(name)}/readyz")).status_code == 200:
                                break
                        except httpx.HTTPError:
                            pass
                        await asyncio.sleep(0.3)

    def _raise_if_dead(self, name: str) -> None:
        process = self._processes[name]
        if process.poll() is not None:
            tail = (self.log_dir / f"{name}.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{tail}")

    def kill(self, name: str) -> None:
        """kill -9: no shutdown code runs."""
        self._processes[name].kill()
        self._processes[name].wait()

    def stop(self, timeout_s: float = 20) -> None:
        for process in self._processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self._processes.values():
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Broker:
    """Publishing to and reading from real topics, under one test's prefix."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.bootstrap = bootstrap
        self.prefix = prefix

    async def publish(
        self,
        topic: str,
        *messages: Event | bytes,
        key: str | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, acks="all", enable_idempotence=True
        )
        await producer.start()
        try:
            for message in messages:
                value = encode(message) if isinstance(message, Event) else message
                k = message.client_id if isinstance(message, Event) else key
                await producer.send_and_wait(
                    self.prefix + topic, value, key=k.encode() if k else None, headers=headers
                )
        finally:
            await producer.stop()

    async def delete_topics(self) -> None:
        """Delete every topic under this prefix."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            names = [t for t in await admin.list_topics() if t.startswith(self.prefix)]
            if names:
                await admin.delete_topics(names)
        finally:
            await admin.close()

    async def read(
        self, topic: str, *, until: Callable[[list[ConsumerRecord]], bool], timeout_s: float = 60
    ) -> list[ConsumerRecord]:
        """Records of a topic from the beginning, until `until(records)` holds (or time runs out)."""
        consumer = AIOKafkaConsumer(
            self.prefix + topic,
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
        )
        await consumer.start()
        records: list[ConsumerRecord] = []
        try:
            async with asyncio.timeout(timeout_s):
                while not until(records):
                    batch = await consumer.getmany(timeout_ms=200)
                    for part in batch.values():
                        records.extend(part)
        except TimeoutError:
            pass
        finally:
            await consumer.stop()
        return records
