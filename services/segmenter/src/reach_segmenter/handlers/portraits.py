"""A new portrait version re-evaluates the client in every segment."""

from __future__ import annotations

from reach_contracts import PortraitUpdated
from reach_runtime.uow import UnitOfWork

from reach_segmenter.adapters.segments import SegmentStore
from reach_segmenter.handlers.membership import reconcile


async def on_portrait_updated(event: PortraitUpdated, uow: UnitOfWork) -> None:
    """Store the portrait (older versions are ignored) and apply membership changes."""
    store = SegmentStore.of(uow)
    known = await store.portrait_version(event.client_id)
    if known is not None and known >= event.payload.version:
        return
    await store.save_portrait(event.client_id, event.payload.version, event.payload)
    for segment in await store.segments():
        await reconcile(uow, store, segment, event.client_id, event.payload, cause=event.event_id)


SUBSCRIPTIONS = {"reach.portraits.v1": {"portrait.updated": on_portrait_updated}}
