"""Fixtures of the runtime's own tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from reach_runtime.db import create_engine, runtime_metadata, session_factory
from reach_runtime.service import Runtime, ServiceDefinition
from reach_runtime.settings import ServiceSettings
from reach_runtime.stack import Broker
from sqlalchemy.ext.asyncio import async_sessionmaker


@contextlib.asynccontextmanager
async def runtime_database(url: str) -> AsyncIterator[async_sessionmaker]:
    """Sessions on the database at `url`, given the runtime's tables (inbox, outbox, dead
    letters); the engine is disposed of on leaving."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(runtime_metadata.create_all)
        yield session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def runtime_sessions(database_url: str) -> AsyncIterator[async_sessionmaker]:
    """`runtime_database` on SQLite, then on PostgreSQL."""
    async with runtime_database(database_url) as sessions:
        yield sessions


@pytest.fixture
async def postgres_runtime_sessions(postgres_url: str) -> AsyncIterator[async_sessionmaker]:
    """`runtime_database` on PostgreSQL only, for what SQLite cannot show (overlapping writers)."""
    async with runtime_database(postgres_url) as sessions:
        yield sessions


@pytest.fixture
def broker_settings(database_url: str, broker: Broker) -> Callable[..., ServiceSettings]:
    """Settings of a service on this test's database and broker (topics under its prefix),
    with the fields given."""

    def settings(**fields: Any) -> ServiceSettings:
        return ServiceSettings(
            database_url=database_url,
            kafka_bootstrap_servers=broker.bootstrap,
            kafka_topic_prefix=broker.prefix,
            **fields,
        )

    return settings


@pytest.fixture
def postgres_runtime(postgres_url: str, broker: Broker) -> Callable[..., Runtime]:
    """Runtimes of a service with no tables of its own, on `postgres_url` and this test's
    broker, named and with the settings given; the runtime's tables come from
    `postgres_runtime_sessions` (not migrated)."""

    def runtime(name: str, **fields: Any) -> Runtime:
        settings = ServiceSettings(
            service_name=name,
            database_url=postgres_url,
            kafka_bootstrap_servers=broker.bootstrap,
            kafka_topic_prefix=broker.prefix,
            **fields,
        )
        return Runtime(
            ServiceDefinition(
                name=name,
                settings=settings,
                metadata=runtime_metadata,
                migrations=Path(__file__).parent,
            )
        )

    return runtime
