"""Storing client states and portraits; the portrait event of a version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from reach_contracts import Event, Portrait, PortraitUpdated
from reach_runtime.ids import derived_id
from reach_runtime.uow import UnitOfWork
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reach_profile.db.tables import PortraitRow
from reach_profile.domain.state import ClientState


@dataclass
class Record:
    """One client as stored: its state, and the portrait last emitted (empty before the first)."""

    row: PortraitRow | None
    state: ClientState
    version: int
    portrait: dict[str, Any]


class PortraitRepository:
    """Clients by id; what was read stays at hand for the rest of the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._seen: dict[str, Record] = {}
        self._dirty: set[str] = set()

    @classmethod
    def of(cls, uow: UnitOfWork) -> PortraitRepository:
        """The repository of this unit of work: one cache per transaction, states written at commit."""
        repository = uow.cache.get("portraits")
        if repository is None:
            repository = uow.cache["portraits"] = cls(uow.session)
            uow.before_commit(repository.flush)
        return repository

    def flush(self) -> None:
        """Write the states changed in this transaction (once per client, however many events)."""
        for client_id in self._dirty:
            record = self._seen[client_id]
            if record.row is not None:
                record.row.state = record.state.model_dump(mode="json")
        self._dirty.clear()

    async def load(self, client_ids: set[str]) -> None:
        """Read many clients in one query each 500."""
        wanted = sorted(c for c in client_ids if c not in self._seen)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = await self._session.scalars(
                select(PortraitRow).where(PortraitRow.client_id.in_(chunk))
            )
            for row in rows:
                self._seen[row.client_id] = _record(row)
            for client_id in chunk:
                self._seen.setdefault(
                    client_id, Record(None, ClientState(client_id=client_id), 0, {})
                )

    async def get(self, client_id: str) -> Record:
        """The client's record; a new, empty one for a client not seen before."""
        if client_id not in self._seen:
            await self.load({client_id})
        return self._seen[client_id]

    async def find(self, client_id: str) -> Record | None:
        record = await self.get(client_id)
        return record if record.row is not None else None

    async def due_for_review(self, now: datetime, *, limit: int) -> list[Record]:
        rows = await self._session.scalars(
            select(PortraitRow)
            .where(PortraitRow.review_at <= now)
            .order_by(PortraitRow.review_at)
            .limit(limit)
        )
        records = []
        for row in rows:
            self._seen[row.client_id] = record = _record(row)
            records.append(record)
        return records

    def save(
        self, record: Record, *, as_of: datetime, review_at: datetime | None, now: datetime
    ) -> None:
        p = record.portrait
        values = {
            "version": record.version,
            "portrait": p,
            "as_of": as_of,
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
        if record.row is None:
            state = record.state.model_dump(mode="json")
            record.row = PortraitRow(client_id=record.state.client_id, state=state, **values)
            self._session.add(record.row)
        else:
            self._dirty.add(record.state.client_id)  # its state is written once, at commit
            for key, value in values.items():
                setattr(record.row, key, value)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _record(row: PortraitRow) -> Record:
    return Record(row, ClientState.model_validate(row.state), row.version, row.portrait)


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
