"""Storing client states and portraits; the portrait event of a version.

Rows are read and written with SQLAlchemy Core, in bulk: a transaction's clients are read in a
few queries, and what changed is written at commit in one upsert and one insert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from reach_contracts import Event, Portrait, PortraitUpdated
from reach_runtime.ids import derived_id
from reach_runtime.uow import UnitOfWork
from sqlalchemy import JSON, Text, bindparam, cast, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from reach_profile.db.tables import PortraitChangeRow, PortraitRow
from reach_profile.domain.state import ClientState

portraits = PortraitRow.__table__
changes = PortraitChangeRow.__table__
_READ = (
    portraits.c.client_id,
    portraits.c.version,
    portraits.c.portrait,
    portraits.c.as_of,
    portraits.c.review_at,
    cast(portraits.c.state, Text).label("state"),  # parsed by pydantic, not json + validation
)


@dataclass
class Record:
    """One client: its state, and the portrait last emitted (empty before the first)."""

    state: ClientState
    version: int
    portrait: dict[str, Any]
    as_of: datetime | None  # of the stored row; None while the client is not stored
    review_at: datetime | None = None  # when time alone may next change the portrait


class PortraitRepository:
    """Clients by id; what was read stays at hand for the rest of the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._seen: dict[str, Record] = {}
        self._rows: dict[str, dict[str, Any]] = {}  # client id -> portrait row to write
        self._changes: list[dict[str, Any]] = []

    @classmethod
    def of(cls, uow: UnitOfWork) -> PortraitRepository:
        """The repository of this unit of work: one cache per transaction, rows written at commit."""
        repository = uow.cache.get("portraits")
        if repository is None:
            repository = uow.cache["portraits"] = cls(uow.session)
            uow.before_commit(repository.flush)
        return repository

    async def flush(self) -> None:
        """Write the clients and versions of this transaction (each client once)."""
        if self._rows:
            rows = [
                {**row, "state_json": self._seen[client_id].state.model_dump_json()}
                for client_id, row in self._rows.items()
            ]
            await self._session.execute(_upsert(self._session.bind.dialect.name), rows)
            self._rows.clear()
        if self._changes:
            await self._session.execute(insert(changes), self._changes)
            self._changes.clear()

    async def load(self, client_ids: set[str]) -> None:
        """Read many clients in one query each 500."""
        wanted = sorted(c for c in client_ids if c not in self._seen)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = await self._session.execute(
                select(*_READ).where(portraits.c.client_id.in_(chunk))
            )
            for row in rows:
                self._seen[row.client_id] = _record(row)
            for client_id in chunk:
                self._seen.setdefault(
                    client_id, Record(ClientState(client_id=client_id), 0, {}, None)
                )

    async def get(self, client_id: str) -> Record:
        """The client's record; a new, empty one for a client not seen before."""
        if client_id not in self._seen:
            await self.load({client_id})
        return self._seen[client_id]

    async def due_for_review(self, now: datetime, *, limit: int) -> list[Record]:
        rows = await self._session.execute(
            select(*_READ)
            .where(portraits.c.review_at <= now)
            .order_by(portraits.c.review_at)
            .limit(limit)
        )
        records = []
        for row in rows:
            self._seen[row.client_id] = record = _record(row)
            records.append(record)
        return records

    def add_version(self, record: Record, as_of: datetime, diff: dict[str, list[Any]]) -> None:
        """Record what changed in the record's (new) version."""
        self._changes.append(
            {
                "client_id": record.state.client_id,
                "version": record.version,
                "as_of": as_of,
                "changes": diff,
            }
        )

    def save(self, record: Record, *, review_at: datetime | None, now: datetime) -> None:
        """Write the record at commit (its state as it is then)."""
        record.review_at = review_at
        p = record.portrait
        self._rows[record.state.client_id] = {
            "client_id": record.state.client_id,
            "version": record.version,
            "portrait": p,
            "as_of": record.as_of,
            "review_at": review_at,
            "updated_at": now,
            "advisor_id": p.get("advisor_id"),
            "lifecycle_stage": p.get("lifecycle_stage"),
            "value_tier": p.get("value_tier"),
            "churn_risk": bool(p.get("churn_risk")),
            "total_assets": _decimal(p.get("total_assets")),
            "drawdown_90d": p.get("drawdown_90d"),
            "last_login_at": _instant(p.get("last_login_at")),
            "last_trade_at": _instant(p.get("last_trade_at")),
        }


def _upsert(dialect: str) -> Any:
    """INSERT of portrait rows that replaces an existing client's row; the state comes as JSON
    text (`state_json`, serialised by pydantic)."""
    text = bindparam("state_json", type_=Text)
    if dialect == "postgresql":
        statement = postgresql.insert(portraits).values(state=cast(text, JSON))  # json, not text
    else:
        statement = sqlite.insert(portraits).values(state=text)
    return statement.on_conflict_do_update(
        index_elements=[portraits.c.client_id],
        set_={c.name: statement.excluded[c.name] for c in portraits.c if not c.primary_key},
    )


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _record(row: Any) -> Record:
    state = ClientState.model_validate_json(row.state)
    return Record(state, row.version, row.portrait, row.as_of, row.review_at)


async def preload(events: list[Event], uow: UnitOfWork) -> None:
    """A batch's clients in one query."""
    await PortraitRepository.of(uow).load({e.client_id for e in events})


def portrait_event(client_id: str, portrait: Portrait) -> PortraitUpdated:
    """The `portrait.updated` event of a version (the same id when replayed)."""
    return PortraitUpdated(
        event_id=derived_id("portrait", client_id, str(portrait.version)),
        occurred_at=portrait.as_of,
        client_id=client_id,
        payload=portrait,
    )
