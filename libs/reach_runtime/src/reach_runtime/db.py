"""Database plumbing shared by services: engines, naming, UTC times, the runtime's own tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    bindparam,
    event,
    func,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """A MetaData with explicit constraint names, as every service's tables use."""
    return MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, returns timezone-aware UTC on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# The runtime's tables live in every service's database, migrated with the service's own.
runtime_metadata = new_metadata()

inbox = Table(
    "reach_inbox",
    runtime_metadata,
    Column("consumer_group", String(200), primary_key=True),
    Column("event_id", String(128), primary_key=True),
    Column("processed_at", UTCDateTime(), nullable=False),
)

outbox = Table(
    "reach_outbox",
    runtime_metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("topic", String(249), nullable=False),
    Column("key", String(200), nullable=True),
    Column("value", LargeBinary, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

dead_letters = Table(
    "reach_dead_letters",
    runtime_metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("consumer_group", String(200), nullable=False),
    Column("source_topic", String(249), nullable=False),
    Column("source_partition", Integer, nullable=False),
    Column("source_offset", BigInteger, nullable=False),
    Column("key", String(200), nullable=True),
    Column("value", LargeBinary, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("replayed_at", UTCDateTime(), nullable=True),
)


def create_engine(url: str, *, pre_ping: bool = True, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite files get WAL, a busy timeout and write-ahead locking.

    A PostgreSQL connection is checked before each use (`pre_ping`), so a request after a
    database restart gets a fresh one; the check is three round trips per transaction, which a
    loop that retries a transaction failing on a dead connection can go without."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        _serialize_sqlite_writers(engine)
        return engine
    return create_async_engine(url, pool_pre_ping=pre_ping, pool_size=5, max_overflow=5, **kwargs)


def _serialize_sqlite_writers(engine: AsyncEngine) -> None:
    # Every transaction takes the write lock up front (BEGIN IMMEDIATE): SQLite otherwise
    # fails a reader that later writes when another writer went first, and no timeout helps.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def insert_for(session: AsyncSession) -> Any:
    """The INSERT construct of the session's database (PostgreSQL or SQLite): it knows
    ON CONFLICT, which SQLAlchemy's generic insert does not."""
    return insert_of(session.get_bind().dialect.name)


def insert_of(dialect: str) -> Any:
    """`insert_for` by the database's dialect name, for statements built once per database."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def values_table(session: AsyncSession, values: Sequence[str]) -> Any:
    """The strings as a one-column table (column `value`) bound as a single parameter.

    `column.in_(values)` renders one placeholder per value, so a statement's text (and its
    compiled and prepared forms) differs with every count, and rendering it costs per value on
    each call; this one is the same statement whatever the count.
    """
    dialect = session.get_bind().dialect.name
    return _table_of(dialect, bindparam(None, values_param(dialect, values), type_=_list(dialect)))


def named_values_table(dialect: str, name: str) -> Any:
    """`values_table` with its strings left to the parameter `name`, so a statement built once
    serves every call: bind `values_param(dialect, strings)` to it when executing."""
    return _table_of(dialect, bindparam(name, type_=_list(dialect)))


def values_param(dialect: str, values: Sequence[str]) -> Any:
    """The value a `named_values_table` parameter takes on this database."""
    return list(values) if dialect == "postgresql" else json.dumps(list(values))


def _list(dialect: str) -> Any:
    return ARRAY(String) if dialect == "postgresql" else String()


def _table_of(dialect: str, parameter: Any) -> Any:
    if dialect == "postgresql":
        return func.unnest(parameter).table_valued("value").render_derived()
    return func.json_each(parameter).table_valued("value")


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
