"""A new portrait version re-evaluates the client in every segment."""

from __future__ import annotations

from reach_contracts import PortraitUpdated
from reach_runtime.uow import UnitOfWork

from reach_segmenter.adapters.rule_sql import portrait_json
from reach_segmenter.adapters.segments import SegmentStore
from reach_segmenter.handlers.membership import reconcile


async def on_portrait_updated(event: PortraitUpdated, uow: UnitOfWork) -> None:
    """Store the portrait (older versions are ignored) and re-evaluate the segments that read a
    field that changed; the others cannot have moved (time-relative ones are swept)."""
    store = SegmentStore.of(uow)
    known = await store.stored_portrait(event.client_id)
    if known is not None and known.version >= event.payload.version:
        return
    fields = portrait_json(event.payload)
    changed = None if known is None else {k for k, v in fields.items() if known.fields.get(k) != v}
    await store.save_portrait(event.client_id, event.payload.version, fields)
    for segment in await store.segments():
        if changed is None or store.fields(segment) & changed:
            await reconcile(
                uow, store, segment, event.client_id, event.payload, cause=event.event_id
            )


SUBSCRIPTIONS = {"reach.portraits.v1": {"portrait.updated": on_portrait_updated}}
