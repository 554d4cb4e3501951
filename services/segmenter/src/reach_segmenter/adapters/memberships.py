"""Membership rows and their history, written so that concurrent writers never double a move.

Entries are inserted with ON CONFLICT DO NOTHING and exits deleted with RETURNING: a move is
announced only for the rows this transaction actually changed, whoever else raced for them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from reach_runtime.db import UTCDateTime, insert_for, values_table
from sqlalchemy import (
    ColumnElement,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from reach_segmenter.db.tables import MembershipChangeRow, MembershipRow, PortraitRow

memberships = MembershipRow.__table__
history = MembershipChangeRow.__table__
Scope = Callable[[Any], ColumnElement[bool]]  # client-id column -> which clients a pass covers


async def enter_all(
    session: AsyncSession, rows: Sequence[tuple[str, str, datetime]]
) -> set[tuple[str, str]]:
    """Insert memberships (segment id, client id, entered at); returns the (segment id, client
    id) pairs that were not members before. Each pair at most once per call."""
    if not rows:
        return set()
    statement = (
        insert_for(session)(memberships)
        .on_conflict_do_nothing()
        .returning(memberships.c.segment_id, memberships.c.client_id)
    )
    params = [{"segment_id": s, "client_id": c, "entered_at": at} for s, c, at in rows]
    result = await session.execute(statement, params)  # insertmanyvalues: one statement
    return {(s, c) for s, c in result}


async def leave_all(
    session: AsyncSession, pairs: Sequence[tuple[str, str]]
) -> set[tuple[str, str]]:
    """End memberships given as (segment id, client id); returns the pairs that were members."""
    removed: set[tuple[str, str]] = set()
    key = tuple_(memberships.c.segment_id, memberships.c.client_id)
    for start in range(0, len(pairs), 1000):
        statement = (
            delete(memberships)
            .where(key.in_(list(pairs[start : start + 1000])))
            .returning(memberships.c.segment_id, memberships.c.client_id)
        )
        removed |= {(s, c) for s, c in await session.execute(statement)}
    return removed


async def enter_matching(
    session: AsyncSession, segment_id: str, rule: ColumnElement[bool], scope: Scope, at: datetime
) -> list[str]:
    """Insert a membership for every portrait in scope that the rule selects and is not a member.

    The members are left out by ON CONFLICT alone, which probes the key per selected portrait.
    An anti-join said the same, but PostgreSQL's generic plan for this prepared statement
    answered it by reading and sorting every member of the segment on every page, so the pages
    of a back-fill grew slower as it went (46 ms to 150 ms per 10k portraits over 1M).
    """
    chosen = select(literal(segment_id), PortraitRow.client_id, literal(at, UTCDateTime())).where(
        scope(PortraitRow.client_id), rule
    )
    statement = (
        insert_for(session)(memberships)
        .from_select(["segment_id", "client_id", "entered_at"], chosen)
        .on_conflict_do_nothing()
        .returning(memberships.c.client_id)
    )
    return list(await session.scalars(statement))


async def leave_unmatching(
    session: AsyncSession, segment_id: str, rule: ColumnElement[bool], scope: Scope
) -> list[str]:
    """Delete every membership in scope whose portrait the rule no longer selects (or is gone)."""
    still = exists(select(literal(1)).where(PortraitRow.client_id == memberships.c.client_id, rule))
    statement = (
        delete(memberships)
        .where(memberships.c.segment_id == segment_id, scope(memberships.c.client_id), ~still)
        .returning(memberships.c.client_id)
    )
    return list(await session.scalars(statement))


async def append(session: AsyncSession, changes: list[dict[str, Any]]) -> None:
    """Append history rows (segment_id, client_id, change, at, cause, segment_version)."""
    if changes:
        await session.execute(insert(history), changes)


def among(session: AsyncSession, client_ids: Sequence[str]) -> Scope:
    """The scope of a pass over these clients, bound as one parameter however many they are."""
    ids = select(values_table(session, client_ids).c.value).scalar_subquery()
    return lambda column: column.in_(ids)


async def record(
    session: AsyncSession,
    *,
    segment_id: str,
    segment_version: int,
    client_ids: Sequence[str],
    change: str,
    at: datetime,
    cause: str,
) -> None:
    """Append one history row per client that moved (`change`: entered or exited)."""
    if not client_ids:
        return
    moved = values_table(session, client_ids)
    rows = select(
        literal(segment_id),
        moved.c.value,
        literal(change),
        literal(at, UTCDateTime()),
        literal(cause[:200]),
        literal(segment_version),
    ).select_from(moved)
    columns = ["segment_id", "client_id", "change", "at", "cause", "segment_version"]
    await session.execute(insert(history).from_select(columns, rows))


async def members_of(session: AsyncSession, client_ids: Sequence[str]) -> dict[str, set[str]]:
    """client id -> ids of the segments it belongs to."""
    found: dict[str, set[str]] = {c: set() for c in client_ids}
    if client_ids:
        rows = await session.execute(
            select(memberships.c.client_id, memberships.c.segment_id).where(
                among(session, client_ids)(memberships.c.client_id)
            )
        )
        for client_id, segment_id in rows:
            found[client_id].add(segment_id)
    return found


async def page(
    session: AsyncSession, segment_id: str, *, after: str | None, limit: int
) -> list[MembershipRow]:
    query = select(MembershipRow).where(MembershipRow.segment_id == segment_id)
    if after:
        query = query.where(MembershipRow.client_id > after)
    return list(await session.scalars(query.order_by(MembershipRow.client_id).limit(limit)))


async def count(session: AsyncSession, segment_id: str) -> int:
    query = (
        select(func.count()).select_from(memberships).where(memberships.c.segment_id == segment_id)
    )
    return await session.scalar(query) or 0


async def client_history(
    session: AsyncSession, client_id: str, *, limit: int
) -> list[MembershipChangeRow]:
    query = (
        select(MembershipChangeRow)
        .where(MembershipChangeRow.client_id == client_id)
        .order_by(MembershipChangeRow.at.desc(), MembershipChangeRow.id.desc())
        .limit(limit)
    )
    return list(await session.scalars(query))


async def changes_by_day(session: AsyncSession, segment_id: str) -> list[tuple[str, str, int]]:
    """(UTC day as YYYY-MM-DD, entered | exited, how many) over the segment's whole history."""
    at = history.c.at
    day = (
        func.date(func.timezone("UTC", at))
        if session.bind.dialect.name == "postgresql"
        else func.date(at)  # SQLite keeps UTC text
    )
    rows = await session.execute(
        select(day, history.c.change, func.count())
        .where(history.c.segment_id == segment_id)
        .group_by(day, history.c.change)
        .order_by(day)
    )
    return [(str(d), change, n) for d, change, n in rows]
