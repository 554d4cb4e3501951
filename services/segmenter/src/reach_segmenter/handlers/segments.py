"""Commands on segments: create with back-fill, and the sweep of time-relative segments."""

from __future__ import annotations

import uuid
from typing import Any

from reach_runtime.errors import Conflict, Invalid
from reach_runtime.uow import UnitOfWork

from reach_segmenter.adapters.segments import SegmentStore
from reach_segmenter.db.tables import SegmentRow
from reach_segmenter.domain.rules import is_time_relative
from reach_segmenter.domain.segment import parse_rule, rule_json
from reach_segmenter.handlers.membership import reconcile


async def create_segment(*, uow: UnitOfWork, name: str, description: str, rule: Any) -> SegmentRow:
    """Create a segment and back-fill its members from every known portrait."""
    try:
        parsed = parse_rule(rule)
    except ValueError as error:
        raise Invalid(str(error), field="rule") from error
    store = SegmentStore.of(uow)
    if await store.by_name(name) is not None:
        raise Conflict(f"a segment named {name!r} exists", field="name")
    segment = SegmentRow(
        id=str(uuid.uuid4()),
        name=name,
        description=description,
        rule=rule_json(parsed),
        time_relative=is_time_relative(parsed),
        created_at=uow.clock.now(),
    )
    uow.session.add(segment)
    await uow.session.flush()
    await _evaluate_everyone(uow, store, segment, cause=f"backfill:{segment.id}")
    await uow.commit()
    return segment


async def sweep(*, uow: UnitOfWork) -> None:
    """Re-evaluate time-relative segments at the clock's now (membership moves with time)."""
    store = SegmentStore.of(uow)
    now = uow.clock.now().isoformat()
    for segment in await store.segments():
        if segment.time_relative:
            await _evaluate_everyone(uow, store, segment, cause=f"sweep:{now}")
    await uow.commit()


async def _evaluate_everyone(
    uow: UnitOfWork, store: SegmentStore, segment: SegmentRow, *, cause: str
) -> None:
    clients = [item async for item in store.portraits()]
    for client_id, portrait in clients:
        await reconcile(uow, store, segment, client_id, portrait, cause=cause)
