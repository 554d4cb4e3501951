"""Alembic for every service: one shared environment, each service's own version files."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from reach_runtime.db import create_engine, runtime_metadata

ENVIRONMENT = Path(__file__).parent / "alembic"


def alembic_config(versions: Path, metadata: MetaData, database_url: str) -> Config:
    """A config that migrates the service's tables and the runtime's together."""
    config = Config()
    config.set_main_option("script_location", str(ENVIRONMENT))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(versions))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["target_metadata"] = [metadata, runtime_metadata]
    return config


def upgrade(versions: Path, metadata: MetaData, database_url: str, revision: str = "head") -> None:
    """Apply the service's migrations up to `revision` (from zero on a new database)."""
    command.upgrade(alembic_config(versions, metadata, database_url), revision)


def downgrade(versions: Path, metadata: MetaData, database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(versions, metadata, database_url), revision)


def revision(versions: Path, metadata: MetaData, database_url: str, message: str) -> None:
    """Write a new migration from the difference between the tables and the database."""
    command.revision(
        alembic_config(versions, metadata, database_url), message=message, autogenerate=True
    )


def run_env() -> None:
    """Body of the shared env.py."""
    config = context.config
    target = config.attributes["target_metadata"]
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def migrate(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_engine(url)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run())
