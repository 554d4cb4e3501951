"""The service catalogue over HTTP: products and content with risk level, purpose, eligibility."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict
from reach_runtime.auth import STAFF, Role, allow
from reach_runtime.http import Session, Uow
from sqlalchemy import select

from reach_campaign.api.actor import Compliance
from reach_campaign.db.tables import CatalogueItemRow
from reach_campaign.domain.catalogue import CatalogueItem, Kind, NewCatalogueItem
from reach_campaign.domain.model import Purpose
from reach_campaign.handlers import catalogue as handle

router = APIRouter(
    prefix="/catalogue", tags=["catalogue"], dependencies=[allow(*STAFF, Role.bi_reader)]
)


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    kind: Kind
    purpose: Purpose
    risk_level: str | None
    eligibility: dict[str, Any]
    description: str
    active: bool
    created_at: datetime
    updated_at: datetime


@router.post("", response_model=ItemOut, status_code=status.HTTP_201_CREATED, summary="Add an item")
async def post_item(body: NewCatalogueItem, uow: Uow, actor: Compliance) -> CatalogueItemRow:
    return await handle.add_item(uow=uow, actor=actor, item=body)


@router.get("", response_model=list[ItemOut], summary="Items, filtered by kind, purpose, active")
async def list_items(
    session: Session,
    kind: Kind | None = None,
    purpose: Purpose | None = None,
    active: bool | None = None,
) -> list[CatalogueItemRow]:
    query = select(CatalogueItemRow).order_by(CatalogueItemRow.id)
    if kind is not None:
        query = query.where(CatalogueItemRow.kind == kind)
    if purpose is not None:
        query = query.where(CatalogueItemRow.purpose == purpose)
    if active is not None:
        query = query.where(CatalogueItemRow.active == active)
    return list(await session.scalars(query))


@router.get("/{item_id}", response_model=ItemOut, summary="One item")
async def get_item(item_id: str, session: Session) -> CatalogueItemRow:
    return await handle.get_item(session, item_id)


@router.put("/{item_id}", response_model=ItemOut, summary="Replace an item's description")
async def put_item(
    item_id: str, body: CatalogueItem, uow: Uow, actor: Compliance
) -> CatalogueItemRow:
    return await handle.change_item(uow=uow, actor=actor, item_id=item_id, item=body)


@router.delete("/{item_id}", response_model=ItemOut, summary="Retire (items are never deleted)")
async def retire_item(item_id: str, uow: Uow, actor: Compliance) -> CatalogueItemRow:
    return await handle.retire_item(uow=uow, actor=actor, item_id=item_id)
