"""A large population without replaying its history: the state the five services built for
`clients` simulated clients is copied `copies - 1` more times under new client ids, in every
database, and the measured events are spread over the copies.

Replaying a million clients' onboarding through the pipeline takes hours on a small machine;
copying what the pipeline made of ten thousand takes minutes. Every copy of a client has the
same portrait, memberships, decisions, sends and touches as its original, under the client id
`C{k * clients + n:08d}` for copy k of client `C{n:08d}`; ids that must stay unique (event ids,
idempotency keys, account ids, provider message ids) get a `~k` suffix. Definitions (segments,
campaigns, scripts) are shared, and the runtime's own tables (inbox, outbox, dead letters) and
aggregates (analytics' campaign counts) are left as they are.
"""

from __future__ import annotations

import random
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

# Columns whose values must stay unique across copies: the copy's value gets a "~k" suffix.
UNIQUE_PER_COPY = {
    "idempotency_key",
    "event_id",
    "trigger_event_id",
    "account_id",
    "provider_message_id",
    "cause",
}
# Tables that are not per client, even where they carry one of the columns above.
SKIPPED = {"reach_inbox", "reach_outbox", "reach_dead_letters", "alembic_version"}
COPIES_PER_STATEMENT = 10


def copy_id(client_id: str, copy: int, clients: int) -> str:
    """Copy `copy` of a simulator client id (`C` and eight digits)."""
    return f"C{copy * clients + int(client_id[1:]):08d}"


def _client_expr(clients: int) -> str:
    return f"'C' || lpad((substr(client_id, 2)::bigint + r.k * {clients})::text, 8, '0')"


async def _table_plan(connection: Any) -> dict[str, list[tuple[str, str, bool]]]:
    """{table: [(column, type, has a sequence default)]} for the tables that hold client state."""
    rows = (
        await connection.execute(
            text(
                "SELECT table_name, column_name, data_type, "
                "coalesce(column_default, '') LIKE 'nextval(%' "
                "FROM information_schema.columns WHERE table_schema = 'public' "
                "ORDER BY table_name, ordinal_position"
            )
        )
    ).all()
    tables: dict[str, list[tuple[str, str, bool]]] = {}
    for table, column, data_type, serial in rows:
        tables.setdefault(table, []).append((column, data_type, serial))
    return {
        table: columns
        for table, columns in tables.items()
        if table not in SKIPPED
        and any(c in ("client_id", "idempotency_key") for c, _, _ in columns)
    }


def _originals(per_client: bool, clients: int) -> str:
    """The rows of the simulated population: its clients' (`C` and at most `clients`), or, in a
    table without a client id, the ones whose idempotency key is not a copy's."""
    if not per_client:
        return "idempotency_key !~ '~'"
    return (
        f"CASE WHEN client_id ~ '^C[0-9]{{8}}$' "
        f"THEN substr(client_id, 2)::bigint <= {clients} ELSE false END"
    )


def _select_list(
    columns: list[tuple[str, str, bool]], clients: int, per_client: bool
) -> tuple[str, str]:
    names, exprs = [], []
    for column, data_type, serial in columns:
        if serial:
            continue  # a new row number from the sequence
        names.append(f'"{column}"')
        if column == "client_id":
            exprs.append(_client_expr(clients))
        elif column in UNIQUE_PER_COPY:
            exprs.append(f"\"{column}\" || '~' || r.k")
        elif per_client and data_type in ("json", "jsonb"):
            # a document that names its client (profile's state) names the copy
            exprs.append(
                f"replace(\"{column}\"::text, '\"' || client_id || '\"', "
                f"'\"' || {_client_expr(clients)} || '\"')::{data_type}"
            )
        else:
            exprs.append(f'"{column}"')
    return ", ".join(names), ", ".join(exprs)


async def replicate(url: str, clients: int, copies: int, log: Any = print) -> dict[str, int]:
    """Copy the client state of the database at `url` to copies 1 … copies-1; rows per table."""
    engine = create_async_engine(url)
    counts: dict[str, int] = {}
    try:
        async with engine.connect() as connection:
            plan = await _table_plan(connection)
        for table, columns in sorted(plan.items()):
            per_client = any(c == "client_id" for c, _, _ in columns)
            names, exprs = _select_list(columns, clients, per_client)
            originals = _originals(per_client, clients)
            started = time.perf_counter()
            added = 0
            for first in range(1, copies, COPIES_PER_STATEMENT):
                last = min(first + COPIES_PER_STATEMENT - 1, copies - 1)
                async with engine.begin() as connection:
                    result = await connection.execute(
                        text(
                            f'INSERT INTO "{table}" ({names}) SELECT {exprs} '
                            f'FROM (SELECT * FROM "{table}" WHERE {originals}) AS t '
                            f"CROSS JOIN generate_series({first}, {last}) AS r(k)"
                        )
                    )
                    added += result.rowcount
            async with engine.begin() as connection:
                await connection.execute(text(f'ANALYZE "{table}"'))
            counts[table] = added
            log(f"  {table}: {added:,} rows in {time.perf_counter() - started:.1f}s")
    finally:
        await engine.dispose()
    return counts


def spread(
    messages: list[tuple[str, bytes, bytes, str]], clients: int, copies: int, seed: int
) -> list[tuple[str, bytes, bytes, str]]:
    """The same events, each for a copy of its client chosen at random (copy 0 is the original)."""
    rng = random.Random(seed)
    out = []
    for topic, key, value, event_type in messages:
        original = key.decode()
        copy = rng.randrange(copies)
        if copy == 0:
            out.append((topic, key, value, event_type))
            continue
        moved = copy_id(original, copy, clients)
        value = value.replace(
            f'"client_id":"{original}"'.encode(), f'"client_id":"{moved}"'.encode(), 1
        )
        out.append((topic, moved.encode(), value, event_type))
    return out
