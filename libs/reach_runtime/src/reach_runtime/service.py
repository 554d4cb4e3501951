"""Running a service: its definition, the runtime built from it, its roles, and the CLI."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from aiokafka.client import AIOKafkaClient
from fastapi import APIRouter, FastAPI
from reach_contracts import DEAD_LETTER_TOPIC, TOPICS
from sqlalchemy import MetaData

from reach_runtime import migrations
from reach_runtime.auth import Authenticator, check_routes
from reach_runtime.clock import Clock
from reach_runtime.consumer import BatchConsumer, Preload, Subscriptions
from reach_runtime.db import create_engine, session_factory
from reach_runtime.dead_letter_api import router as dead_letter_router
from reach_runtime.http import BodyLimit, NoNul, health, install_error_handlers
from reach_runtime.kafka import ensure_topics, new_producer
from reach_runtime.logs import configure_logging
from reach_runtime.outbox_signal import OutboxSignal, listen
from reach_runtime.relay import OutboxRelay
from reach_runtime.settings import ServiceSettings
from reach_runtime.telemetry import configure_tracing
from reach_runtime.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

ROLES = ("api", "consume", "relay")
Worker = Callable[["Runtime"], Awaitable[None]]


@dataclass(frozen=True)
class ServiceDefinition:
    """What makes one service: its tables, migrations, topic handlers, routes and loops."""

    name: str
    settings: ServiceSettings
    metadata: MetaData
    migrations: Path  # the service's Alembic version files
    subscriptions: Subscriptions = field(default_factory=dict)
    routers: Sequence[APIRouter] = ()
    workers: Sequence[Worker] = ()  # background loops run with the consume role
    preload: Preload | None = None  # batch-level loading for the handlers
    description: str = ""


class Runtime:
    """The live parts of a service process, built once (the composition root's output)."""

    def __init__(self, definition: ServiceDefinition, *, clock: Clock | None = None) -> None:
        self.definition = definition
        self.settings = definition.settings
        self.clock = clock or self.settings.clock()
        self.authenticator = Authenticator.from_settings(self.settings)
        url = self.settings.effective_database_url
        self.engine = create_engine(url)  # requests and workers
        self.sessions = session_factory(self.engine)
        self.uows = UnitOfWorkFactory(
            self.sessions, clock=self.clock, on_commit=self._outbox_written
        )
        # The consumer and the relay retry a transaction that a dead connection failed, so their
        # connections skip the check before use: three round trips less on every batch.
        self.stream_engine = create_engine(url, pre_ping=False)
        self.stream_sessions = session_factory(self.stream_engine)
        self.stream_uows = UnitOfWorkFactory(
            self.stream_sessions, clock=self.clock, on_commit=self._outbox_written
        )
        # A process without a relay (the api or consume role) tells the relay process by NOTIFY.
        postgres = url.startswith("postgresql")
        self._signal = OutboxSignal(self.stream_engine) if postgres else None
        self.relay: OutboxRelay | None = None
        self.consumer: BatchConsumer | None = None
        self._probe: AIOKafkaClient | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.dead_loops: list[str] = []

    def _outbox_written(self) -> None:
        if self.relay is not None:
            self.relay.wake()
        elif self._signal is not None:
            self._signal.send()

    async def start(self, roles: Sequence[str]) -> None:
        """Start the loops of the given roles in this event loop."""
        self._probe = AIOKafkaClient(bootstrap_servers=self.settings.kafka_bootstrap_servers)
        with contextlib.suppress(Exception):
            await self._probe.bootstrap()
        if "consume" in roles or "relay" in roles:
            await self._ensure_topics()
        if "relay" in roles:
            producer = new_producer(self.settings)
            await producer.start()
            self.relay = OutboxRelay(
                settings=self.settings, sessions=self.stream_sessions, producer=producer
            )
            self._spawn(self.relay.run(), "relay")
            if self._signal is not None:
                self._spawn(
                    listen(self.settings.effective_database_url, self.relay.wake), "outbox-listener"
                )
        if "consume" in roles:
            if self.definition.subscriptions:
                self.consumer = BatchConsumer(
                    settings=self.settings,
                    subscriptions=self.definition.subscriptions,
                    uow_factory=self.stream_uows,
                    preload=self.definition.preload,
                )
                self._spawn(self.consumer.run(), "consumer")
            for worker in self.definition.workers:
                self._spawn(worker(self), getattr(worker, "__name__", "worker"))
        # What start-up made (modules, routes, compiled models) lives as long as the process.
        # Frozen, it is left out of every collection: a full one then walks only what the
        # running service made, instead of stalling every loop for ~100 ms on a busy machine.
        gc.collect()
        gc.freeze()

    async def _ensure_topics(self) -> None:
        """Every contract topic exists before anyone reads or writes it (compacted ones compacted)."""
        s = self.settings
        await ensure_topics(
            s.kafka_bootstrap_servers,
            [s.topic(name) for name in (*TOPICS, DEAD_LETTER_TOPIC)],
            partitions=s.kafka_partitions,
            compacted=frozenset(s.topic(t.name) for t in TOPICS.values() if t.compacted),
        )

    def _spawn(self, coroutine: Awaitable[None], name: str) -> None:
        task = asyncio.ensure_future(coroutine)
        task.set_name(name)
        task.add_done_callback(self._on_task_done)
        self._tasks.append(task)

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("background loop %s died", task.get_name(), exc_info=task.exception())
            self.dead_loops.append(task.get_name())  # /healthz fails: restart the process

    def readiness(self) -> dict[str, bool]:
        """Loops that must be up before the process takes traffic."""
        checks = {t.get_name(): not t.done() for t in self._tasks}
        if self.consumer is not None:
            checks["consumer"] = self.consumer.ready.is_set()
        return checks

    async def kafka_reachable(self) -> bool:
        if self._probe is None:
            return False
        try:
            await asyncio.wait_for(self._probe.fetch_all_metadata(), timeout=2)
            return True
        except Exception:
            return False

    async def stop(self, grace_s: float = 10) -> None:
        """Let the consumer finish its batch, stop the loops, flush the outbox, release connections.

        Cancelling mid-batch is safe too (the transaction rolls back and the batch is read again),
        so the grace period only saves work.
        """
        if self.consumer is not None:
            self.consumer.stop()
            consuming = [t for t in self._tasks if t.get_name() == "consumer"]
            if consuming:
                await asyncio.wait(consuming, timeout=grace_s)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.relay is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.relay.relay_once(), timeout=5)
            await self.relay.producer.stop()
        if self._probe is not None:
            await self._probe.close()
        if self._signal is not None:
            await self._signal.close()
        await self.close_databases()

    async def close_databases(self) -> None:
        """Close both engines' connections (requests' and workers', and the consumer's and
        relay's)."""
        await self.engine.dispose()
        await self.stream_engine.dispose()


def create_app(runtime: Runtime, roles: Sequence[str] = ROLES) -> FastAPI:
    """The service's FastAPI app; its lifespan runs the loops of `roles`."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.start(roles)
        try:
            yield
        finally:
            await runtime.stop()

    definition = runtime.definition
    app = FastAPI(
        title=f"Reach {definition.name}",
        description=definition.description,
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.include_router(health)
    if "api" in roles:
        app.include_router(dead_letter_router)
        for router in definition.routers:
            app.include_router(router)
    install_error_handlers(app)
    app.add_middleware(BodyLimit, limit=runtime.settings.http_max_body_bytes)
    app.add_middleware(NoNul)
    check_routes(app)
    return app


async def _replay(definition: ServiceDefinition) -> None:
    from reach_runtime.replay import replay

    runtime = Runtime(definition)
    try:
        count = await replay(runtime)
    finally:
        await runtime.close_databases()
    print(
        f"replayed {count:,} messages into {runtime.settings.effective_database_url.split('@')[-1]}"
    )


def main(build: Callable[[], ServiceDefinition], argv: Sequence[str] | None = None) -> None:
    """CLI of every service: `python -m reach_<name> [all|api|consume|relay|migrate|revision|replay]`."""
    parser = argparse.ArgumentParser(description="Run a Reach service role")
    parser.add_argument(
        "role", nargs="?", default="all", choices=("all", "migrate", "revision", "replay", *ROLES)
    )
    parser.add_argument("-m", "--message", help="with revision: what the new migration does")
    parser.add_argument("--branch", help="with revision: 'runtime' for the shared tables")
    args = parser.parse_args(argv)
    definition = build()
    settings = definition.settings
    configure_logging(definition.name, settings.log_level, settings.log_format)
    configure_tracing(definition.name, settings.otel_exporter_otlp_endpoint)
    url = settings.effective_database_url
    if args.role == "revision":
        migrations.upgrade(definition.migrations, definition.metadata, url)
        migrations.revision(
            definition.migrations,
            definition.metadata,
            url,
            branch=args.branch or definition.name,
            message=args.message or "change",
        )
        return
    if args.role == "replay":
        migrations.upgrade(definition.migrations, definition.metadata, url)
        asyncio.run(_replay(definition))
        return
    if args.role == "migrate" or (args.role == "all" and settings.reach_env != "production"):
        migrations.upgrade(definition.migrations, definition.metadata, url)
        if args.role == "migrate":
            return
    roles = ROLES if args.role == "all" else (args.role,)
    app = create_app(Runtime(definition), roles)
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        timeout_graceful_shutdown=10,
    )
