"""Pytest fixtures and helpers shared by every test suite: real Kafka, real PostgreSQL.

Infrastructure is found in this order: servers named by KAFKA_BOOTSTRAP_SERVERS /
TEST_POSTGRES_URL; testcontainers where a Docker engine answers; otherwise the project's
own scripts start a local Apache Kafka and PostgreSQL (infra/kafka, infra/postgres).
Each test gets its own topic prefix and its own database, so tests never see each other.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import MetaData, event
from sqlalchemy.engine import make_url

from reach_runtime import migrations
from reach_runtime.clock import Clock
from reach_runtime.db import create_engine, session_factory
from reach_runtime.service import Runtime, ServiceDefinition, create_app
from reach_runtime.stack import Broker
from reach_runtime.uow import UnitOfWork, UnitOfWorkFactory

ROOT = Path(__file__).resolve().parents[4]
TEST_KAFKA_PORT = int(os.environ.get("TEST_KAFKA_PORT", "19092"))
TEST_PG_PORT = int(os.environ.get("TEST_PG_PORT", "55432"))


def _docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


@contextlib.contextmanager
def _started_by_script(script: Path, env: dict[str, str]) -> Iterator[None]:
    """Start a server with the project's script; stop it afterwards only if it was not running."""
    was_running = subprocess.run([str(script), "status"], env=env, check=False).returncode == 0
    subprocess.run([str(script), "start"], env=env, check=True)
    try:
        yield
    finally:
        if not was_running and not os.environ.get("REACH_KEEP_TEST_SERVERS"):
            subprocess.run([str(script), "stop"], env=env, check=False)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap servers of a real Kafka broker for this test session."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    elif _docker_available():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:4.1.1").with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
    else:
        env = {
            **os.environ,
            "KAFKA_PORT": str(TEST_KAFKA_PORT),
            "KAFKA_DATA_DIR": str(ROOT / ".local" / f"test-kafka-{TEST_KAFKA_PORT}"),
        }
        with _started_by_script(ROOT / "infra" / "kafka" / "kafka.sh", env):
            yield f"127.0.0.1:{TEST_KAFKA_PORT}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A SQLAlchemy URL (asyncpg) of a PostgreSQL server where the test role may create databases."""
    if os.environ.get("TEST_POSTGRES_URL"):
        yield os.environ["TEST_POSTGRES_URL"]
    elif _docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:15", driver="asyncpg") as pg:
            yield pg.get_connection_url()
    else:
        env = {**os.environ, "PG_PORT": str(TEST_PG_PORT)}
        with _started_by_script(ROOT / "infra" / "postgres" / "postgres.sh", env):
            yield f"postgresql+asyncpg://reach:reach@127.0.0.1:{TEST_PG_PORT}/postgres"


async def create_database(server_url: str) -> str:
    """A new, empty database on the server; returns its URL."""
    import asyncpg

    server = make_url(server_url)
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(
        server.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return server.set(database=name).render_as_string(hide_password=False)


async def drop_database(url: str) -> None:
    import asyncpg

    target = make_url(url)
    admin_url = target.set(drivername="postgresql", database="postgres")
    admin = await asyncpg.connect(admin_url.render_as_string(hide_password=False))
    try:
        for attempt in range(20):
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
                return
            except asyncpg.InsufficientPrivilegeError:
                # An autovacuum worker (the superuser's) is in the database: FORCE may not end
                # it, and it ends on its own in moments.
                if attempt == 19:
                    raise
                await asyncio.sleep(0.25)
    finally:
        await admin.close()


async def end_other_connections(database_url: str) -> int:
    """Terminate every other connection to the database, as a restart or a failover would;
    returns how many there were."""
    import asyncpg

    url = make_url(database_url).set(drivername="postgresql")
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        return await connection.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()


@pytest.fixture
async def postgres_url(postgres_server: str) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    url = await create_database(postgres_server)
    yield url
    await drop_database(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'service.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs once on the embedded SQLite and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return request.getfixturevalue(name)


@pytest.fixture
def topic_prefix() -> str:
    """A prefix that gives one test its own topics and consumer groups."""
    return f"t{uuid.uuid4().hex[:10]}."


@pytest.fixture
def broker(kafka_bootstrap: str, topic_prefix: str) -> Iterator[Broker]:
    """Publish and read under this test's prefix; its topics are deleted afterwards, so a whole
    suite on one broker does not pile up thousands of partitions (and the broker's heap)."""
    broker = Broker(kafka_bootstrap, topic_prefix)
    yield broker
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # the test's event loop may be running
        pool.submit(asyncio.run, broker.delete_topics()).result()


@contextlib.asynccontextmanager
async def running(
    definition: ServiceDefinition, *, clock: Clock | None = None
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    """A service migrated from zero and running every role in this event loop, with an HTTP client."""
    settings = definition.settings
    await asyncio.to_thread(
        migrations.upgrade,
        definition.migrations,
        definition.metadata,
        settings.effective_database_url,
    )
    runtime = Runtime(definition, clock=clock)
    app = create_app(runtime)
    await runtime.start(("api", "consume", "relay"))
    try:
        if runtime.consumer is not None:
            await asyncio.wait_for(runtime.consumer.ready.wait(), timeout=30)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield runtime, client
    finally:
        await runtime.stop()


@contextlib.asynccontextmanager
async def units_of_work(
    versions: Path, metadata: MetaData, database_url: str, *, clock: Clock
) -> AsyncIterator[UnitOfWorkFactory]:
    """Units of work on a service's database migrated from zero (its `versions` and
    `metadata`), without the service running: for tests of what handlers and repositories
    read and write."""
    await asyncio.to_thread(migrations.upgrade, versions, metadata, database_url)
    engine = create_engine(database_url)
    try:
        yield UnitOfWorkFactory(session_factory(engine), clock=clock)
    finally:
        await engine.dispose()


@contextlib.contextmanager
def selects(uow: UnitOfWork) -> Iterator[list[str]]:
    """The SELECT statements the unit of work sends to its database while the block runs."""
    seen: list[str] = []
    engine = uow.session.bind.sync_engine

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def eventually(
    check: Callable[[], object], *, timeout_s: float = 60, interval_s: float = 0.2
):
    """Poll an (async) check until it returns a truthy value; the last value is returned."""
    result = None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        await asyncio.sleep(interval_s)
    return result
