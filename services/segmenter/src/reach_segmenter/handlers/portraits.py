"""A new portrait version re-evaluates the client only in the segments it can have moved."""

from __future__ import annotations

from reach_contracts import Event, PortraitUpdated
from reach_runtime.consumer import Preload, Subscriptions
from reach_runtime.uow import UnitOfWork

from reach_segmenter.adapters.catalog import CatalogCache
from reach_segmenter.adapters.rule_sql import portrait_json
from reach_segmenter.adapters.segments import SegmentStore
from reach_segmenter.handlers.membership import PendingMoves


async def on_portrait_updated(
    event: PortraitUpdated, uow: UnitOfWork, *, catalogs: CatalogCache
) -> None:
    """Store the portrait (older versions are ignored), evaluate the segments that read a field
    that changed, then cascade to the segments that refer to those that moved; the others cannot
    have moved (time-relative ones are swept)."""
    store = SegmentStore.of(uow)
    known = await store.stored_portrait(event.client_id)
    if known is not None and known.version >= event.payload.version:
        return
    fields = portrait_json(event.payload)
    changed = None if known is None else {k for k, v in fields.items() if known.fields.get(k) != v}
    store.save_portrait(event.client_id, event.payload.version, fields)
    catalog = await catalogs.current(uow)
    moves = catalog.moves(
        event.payload,
        uow.clock.now(),
        member_of=await store.member_of(event.client_id),
        changed=changed,
    )
    if moves:
        PendingMoves.of(uow).add(
            store,
            event.client_id,
            moves,
            cause=event.event_id,
            portrait_version=event.payload.version,
        )


def preloader(catalogs: CatalogCache) -> Preload:
    """Lock the catalog, then load a batch's portraits and memberships in one query."""

    async def preload(events: list[Event], uow: UnitOfWork) -> None:
        await catalogs.current(uow)  # first: see the module docstring of adapters.catalog
        await SegmentStore.of(uow).load({e.client_id for e in events})

    return preload


def subscriptions(catalogs: CatalogCache) -> Subscriptions:
    """Topic handlers bound to this process's catalog cache."""

    async def portrait_updated(event: PortraitUpdated, uow: UnitOfWork) -> None:
        await on_portrait_updated(event, uow, catalogs=catalogs)

    return {"reach.portraits.v1": {"portrait.updated": portrait_updated}}
