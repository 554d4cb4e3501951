"""Storing portraits, and turning a domain portrait into its contract event."""

from __future__ import annotations

from datetime import datetime

from pydantic import TypeAdapter
from reach_contracts import Event, PortraitUpdated
from reach_contracts import Portrait as PortraitPayload
from reach_runtime.ids import derived_id
from reach_runtime.uow import UnitOfWork
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reach_profile.db.tables import PortraitRow
from reach_profile.domain.portrait import Portrait

_codec = TypeAdapter(Portrait)


class PortraitRepository:
    """Portraits by client; what was read stays at hand for the rest of the transaction."""

    def __init__(self, session: AsyncSession, seen: dict | None = None) -> None:
        self._session = session
        self._seen: dict[str, tuple[PortraitRow, Portrait] | None] = {} if seen is None else seen

    @classmethod
    def of(cls, uow: UnitOfWork) -> PortraitRepository:
        """The repository of this unit of work (one cache per transaction)."""
        return cls(uow.session, uow.cache.setdefault("portraits", {}))

    async def load(self, client_ids: set[str]) -> None:
        """Read many portraits in one query."""
        wanted = [c for c in client_ids if c not in self._seen]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = await self._session.scalars(
                select(PortraitRow).where(PortraitRow.client_id.in_(chunk))
            )
            found = {r.client_id: r for r in rows}
            for client_id in chunk:
                row = found.get(client_id)
                self._seen[client_id] = (
                    None if row is None else (row, _codec.validate_python(row.state))
                )

    async def get(self, client_id: str) -> Portrait | None:
        if client_id not in self._seen:
            await self.load({client_id})
        entry = self._seen[client_id]
        return None if entry is None else entry[1]

    async def save(self, portrait: Portrait, *, now: datetime) -> None:
        state = _codec.dump_python(portrait, mode="json")
        entry = self._seen.get(portrait.client_id)
        if entry is None:
            row = PortraitRow(
                client_id=portrait.client_id, version=portrait.version, state=state, updated_at=now
            )
            self._session.add(row)
        else:
            row = entry[0]
            row.version, row.state, row.updated_at = portrait.version, state, now
        self._seen[portrait.client_id] = (row, portrait)

    async def page(self, *, after: str | None, limit: int) -> list[Portrait]:
        query = select(PortraitRow).order_by(PortraitRow.client_id).limit(limit)
        if after:
            query = query.where(PortraitRow.client_id > after)
        rows = await self._session.scalars(query)
        return [_codec.validate_python(r.state) for r in rows]


async def preload(events: list[Event], uow: UnitOfWork) -> None:
    """A batch's portraits in one query."""
    await PortraitRepository.of(uow).load({e.client_id for e in events})


def portrait_event(portrait: Portrait) -> PortraitUpdated:
    """The `portrait.updated` event for this version (same id when replayed)."""
    assert portrait.as_of is not None
    return PortraitUpdated(
        event_id=derived_id("portrait", portrait.client_id, str(portrait.version)),
        occurred_at=portrait.as_of,
        client_id=portrait.client_id,
        payload=PortraitPayload(
            version=portrait.version,
            as_of=portrait.as_of,
            trade_count=portrait.trade_count,
            trade_amount_total=portrait.trade_amount_total,
            last_trade_at=portrait.last_trade_at,
            login_count=portrait.login_count,
            last_login_at=portrait.last_login_at,
            total_assets=portrait.total_assets,
            cash=portrait.cash,
            net_inflow_total=portrait.net_inflow_total,
            risk_level=portrait.risk_level,
            advisor_id=portrait.advisor_id,
            opened_on=portrait.opened_on,
            lifecycle_stage=portrait.lifecycle_stage,
        ),
    )
