"""Membership transitions: one `entered` / `exited` event per real change, whatever caused it."""

from __future__ import annotations

from reach_contracts import Portrait, SegmentEntered, SegmentExited, SegmentMembershipChange
from reach_runtime.ids import derived_id
from reach_runtime.uow import UnitOfWork

from reach_segmenter.adapters.segments import SegmentStore
from reach_segmenter.db.tables import SegmentRow
from reach_segmenter.domain.rules import matches

MEMBERSHIPS_TOPIC = "reach.segment-memberships.v1"


async def reconcile(
    uow: UnitOfWork,
    store: SegmentStore,
    segment: SegmentRow,
    client_id: str,
    portrait: Portrait,
    *,
    cause: str,
) -> None:
    """Bring one client's membership of one segment in line with the rule now."""
    now = uow.clock.now()
    inside = matches(store.rule(segment), portrait, now)
    member = await store.is_member(segment.id, client_id)
    if inside == member:
        return
    payload = SegmentMembershipChange(
        segment_id=segment.id, segment_name=segment.name, portrait_version=portrait.version
    )
    if inside:
        await store.enter(segment.id, client_id, now)
        event_id = derived_id("segment.entered", segment.id, client_id, cause)
        uow.emit(
            MEMBERSHIPS_TOPIC,
            SegmentEntered(
                event_id=event_id, occurred_at=now, client_id=client_id, payload=payload
            ),
        )
    else:
        await store.exit(segment.id, client_id)
        event_id = derived_id("segment.exited", segment.id, client_id, cause)
        uow.emit(
            MEMBERSHIPS_TOPIC,
            SegmentExited(event_id=event_id, occurred_at=now, client_id=client_id, payload=payload),
        )
