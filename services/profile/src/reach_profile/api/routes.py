"""Client portraits over HTTP: one client, a search for advisors and staff, a change history.

The portrait holds no contact details (the notifier keeps those), so nothing here needs masking.
Staff see every client; an advisor sees only the clients assigned to them (another client is
answered with 404, as if it did not exist).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from reach_contracts import Portrait
from reach_runtime.auth import STAFF, Principal, Role, caller
from reach_runtime.errors import NotFound
from reach_runtime.http import Session
from sqlalchemy import asc, desc, nulls_last, select

from reach_profile.db.tables import PortraitChangeRow, PortraitRow

router = APIRouter(prefix="/portraits", tags=["portraits"])
MAX_ASSETS = Decimal("999999999999999999.99")  # what total_assets, NUMERIC(20, 2), can hold
Reader = caller(*STAFF, Role.advisor)


class PortraitOut(Portrait):
    client_id: str


class ChangeOut(BaseModel):
    version: int
    as_of: datetime
    changes: dict[str, list[Any]]


Sort = Literal[
    "urgency",
    "client_id",
    "total_assets",
    "-total_assets",
    "drawdown_90d",
    "-drawdown_90d",
    "last_login_at",
    "-last_login_at",
    "last_trade_at",
    "-last_trade_at",
]
_URGENCY = (
    desc(PortraitRow.churn_risk),
    nulls_last(desc(PortraitRow.drawdown_90d)),
    nulls_last(desc(PortraitRow.total_assets)),
)


def _out(row: PortraitRow) -> PortraitOut:
    return PortraitOut.model_validate(
        {"client_id": row.client_id, "version": row.version, "as_of": row.as_of, **row.portrait}
    )


async def _visible(session: Session, client_id: str, principal: Principal) -> PortraitRow:
    """The client's portrait row if the caller may see it; 404 otherwise."""
    row = await session.get(PortraitRow, client_id)
    if row is None or (principal.is_advisor_only and row.advisor_id != principal.advisor_id):
        raise NotFound(f"no portrait for client {client_id!r}", field="client_id")
    return row


@router.get("/{client_id}", response_model=PortraitOut, summary="One client's latest portrait")
async def get_portrait(client_id: str, session: Session, principal: Reader) -> PortraitOut:
    return _out(await _visible(session, client_id, principal))


@router.get(
    "",
    response_model=list[PortraitOut],
    summary="Search clients by portrait, sorted and paged",
    description="`sort=urgency` puts churn risk first, then the deepest drawdown, then the largest assets: "
    "an advisor's 'my clients, most urgent first' is `?advisor_id=ADV007&sort=urgency`.",
)
async def search_portraits(
    session: Session,
    principal: Reader,
    advisor_id: Annotated[str | None, Query(max_length=64)] = None,
    lifecycle_stage: Annotated[str | None, Query(max_length=16, examples=["sleeping"])] = None,
    value_tier: Annotated[str | None, Query(max_length=16, examples=["vip"])] = None,
    churn_risk: bool | None = None,
    min_assets: Annotated[Decimal | None, Query(ge=0, le=MAX_ASSETS)] = None,
    max_assets: Annotated[Decimal | None, Query(ge=0, le=MAX_ASSETS)] = None,
    sort: Sort = "client_id",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[PortraitOut]:
    query = select(PortraitRow)
    if principal.is_advisor_only:
        query = query.where(PortraitRow.advisor_id == principal.advisor_id)
    for column, value in (
        (PortraitRow.advisor_id, advisor_id),
        (PortraitRow.lifecycle_stage, lifecycle_stage),
        (PortraitRow.value_tier, value_tier),
        (PortraitRow.churn_risk, churn_risk),
    ):
        if value is not None:
            query = query.where(column == value)
    if min_assets is not None:
        query = query.where(PortraitRow.total_assets >= min_assets)
    if max_assets is not None:
        query = query.where(PortraitRow.total_assets <= max_assets)
    if sort == "urgency":
        order = _URGENCY
    elif sort == "client_id":
        order = ()
    else:
        column = getattr(PortraitRow, sort.lstrip("-"))
        order = (nulls_last(desc(column) if sort.startswith("-") else asc(column)),)
    query = query.order_by(*order, PortraitRow.client_id).offset(offset).limit(limit)
    return [_out(row) for row in await session.scalars(query)]


@router.get(
    "/{client_id}/history",
    response_model=list[ChangeOut],
    summary="What changed, version by version",
)
async def portrait_history(
    client_id: str,
    session: Session,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ChangeOut]:
    await _visible(session, client_id, principal)
    rows = await session.scalars(
        select(PortraitChangeRow)
        .where(PortraitChangeRow.client_id == client_id)
        .order_by(desc(PortraitChangeRow.version))
        .limit(limit)
    )
    return [ChangeOut(version=r.version, as_of=r.as_of, changes=r.changes) for r in rows]
