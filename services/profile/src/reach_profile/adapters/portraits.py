"""Storing portraits, and turning a domain portrait into its contract event."""

from __future__ import annotations

from datetime import datetime

from pydantic import TypeAdapter
from reach_contracts import Portrait as PortraitPayload
from reach_contracts import PortraitUpdated
from reach_runtime.ids import derived_id
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reach_profile.db.tables import PortraitRow
from reach_profile.domain.portrait import Portrait

_codec = TypeAdapter(Portrait)


class PortraitRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, client_id: str) -> Portrait | None:
        row = await self._session.get(PortraitRow, client_id)
        return None if row is None else _codec.validate_python(row.state)

    async def save(self, portrait: Portrait, *, now: datetime) -> None:
        state = _codec.dump_python(portrait, mode="json")
        row = await self._session.get(PortraitRow, portrait.client_id)
        if row is None:
            self._session.add(
                PortraitRow(
                    client_id=portrait.client_id,
                    version=portrait.version,
                    state=state,
                    updated_at=now,
                )
            )
        else:
            row.version, row.state, row.updated_at = portrait.version, state, now

    async def page(self, *, after: str | None, limit: int) -> list[Portrait]:
        query = select(PortraitRow).order_by(PortraitRow.client_id).limit(limit)
        if after:
            query = query.where(PortraitRow.client_id > after)
        rows = await self._session.scalars(query)
        return [_codec.validate_python(r.state) for r in rows]


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
