"""The service catalogue: add, change and retire items; every change audited."""

from __future__ import annotations

from contextlib import AbstractContextManager

from reach_runtime.errors import Conflict
from reach_runtime.uow import UnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession

from reach_campaign.adapters.audit import audited, record_created
from reach_campaign.adapters.rows import get_or_not_found
from reach_campaign.db.tables import CatalogueItemRow
from reach_campaign.domain.catalogue import CatalogueItem, NewCatalogueItem


async def get_item(session: AsyncSession, item_id: str) -> CatalogueItemRow:
    return await get_or_not_found(
        session,
        CatalogueItemRow,
        item_id,
        missing=f"no catalogue item {item_id!r}",
        field="item_id",
    )


def _audited(
    uow: UnitOfWork, row: CatalogueItemRow, *, actor: str, action: str
) -> AbstractContextManager[None]:
    return audited(
        uow, row, actor=actor, entity_type="catalogue_item", entity_id=row.id, action=action
    )


def _columns(item: CatalogueItem) -> dict:
    return item.model_dump(mode="json", exclude={"id"})


async def add_item(*, uow: UnitOfWork, actor: str, item: NewCatalogueItem) -> CatalogueItemRow:
    if await uow.session.get(CatalogueItemRow, item.id) is not None:
        raise Conflict(f"catalogue item {item.id!r} exists", field="id")
    now = uow.clock.now()
    row = CatalogueItemRow(id=item.id, created_at=now, updated_at=now, **_columns(item))
    uow.session.add(row)
    record_created(uow, row, actor=actor, entity_type="catalogue_item", entity_id=row.id)
    await uow.commit()
    return row


async def change_item(
    *, uow: UnitOfWork, actor: str, item_id: str, item: CatalogueItem
) -> CatalogueItemRow:
    """Replace an item's description; its id stays (campaigns refer to it)."""
    row = await get_item(uow.session, item_id)
    with _audited(uow, row, actor=actor, action="edit"):
        for name, value in _columns(item).items():
            setattr(row, name, value)
        row.updated_at = uow.clock.now()
    await uow.commit()
    return row


async def retire_item(*, uow: UnitOfWork, actor: str, item_id: str) -> CatalogueItemRow:
    """Items are never deleted (decisions refer to them): retiring stops new campaigns using it."""
    row = await get_item(uow.session, item_id)
    with _audited(uow, row, actor=actor, action="retire"):
        row.active, row.updated_at = False, uow.clock.now()
    await uow.commit()
    return row
