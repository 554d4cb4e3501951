"""Alembic for every service: one shared environment; two branches in each service's database.

The runtime's own tables (inbox, outbox, dead letters) are migrated by the `runtime` branch,
whose version files live here once; each service's tables by the branch named after the
service, whose files live in the service. `upgrade` takes both to their heads.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from reach_runtime.db import create_engine, runtime_metadata

ENVIRONMENT = Path(__file__).parent / "alembic"
RUNTIME_VERSIONS = ENVIRONMENT / "versions"


def alembic_config(versions: Path, metadata: MetaData, database_url: str) -> Config:
    """A config over the runtime's and one service's version files and tables."""
    config = Config()
    config.set_main_option("script_location", str(ENVIRONMENT))
    config.set_main_option("path_separator", "os")
    config.set_main_option(
        "version_locations", os.pathsep.join([str(RUNTIME_VERSIONS), str(versions)])
    )
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["target_metadata"] = [metadata, runtime_metadata]
    return config


def upgrade(versions: Path, metadata: MetaData, database_url: str, revision: str = "heads") -> None:
    """Apply the runtime's and the service's migrations (from zero on a new database)."""
    command.upgrade(alembic_config(versions, metadata, database_url), revision)


def downgrade(versions: Path, metadata: MetaData, database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(versions, metadata, database_url), revision)


def revision(
    versions: Path, metadata: MetaData, database_url: str, *, branch: str, message: str
) -> None:
    """Write the next migration of `branch` from the difference between its tables and the database.

    `branch` is a service name, or `runtime` for the runtime's own tables.
    """
    config = alembic_config(versions, metadata, database_url)
    config.attributes["target_metadata"] = runtime_metadata if branch == "runtime" else metadata
    folder = RUNTIME_VERSIONS if branch == "runtime" else versions
    first = not any(folder.glob("*.py"))
    command.revision(
        config,
        message=message,
        autogenerate=True,
        head="base" if first else f"{branch}@head",
        branch_label=branch if first else None,
        version_path=str(folder),
    )


def _only_known_tables(_obj: Any, name: str, type_: str, reflected: bool, compare_to: Any) -> bool:
    # Tables of the other branch exist in the database but not in this metadata: not a drop.
    return not (type_ == "table" and reflected and compare_to is None)


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
            include_object=_only_known_tables,
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
