"""Fixtures of the runtime's own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from reach_runtime.db import create_engine, runtime_metadata, session_factory
from sqlalchemy.ext.asyncio import async_sessionmaker


@pytest.fixture
async def runtime_sessions(database_url: str) -> AsyncIterator[async_sessionmaker]:
    """Sessions on a database holding the runtime's tables (inbox, outbox, dead letters)."""
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(runtime_metadata.create_all)
    yield session_factory(engine)
    await engine.dispose()
