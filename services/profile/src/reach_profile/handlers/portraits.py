"""Folding events into client states, and emitting a new portrait version when it changed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from reach_contracts import TOPICS, Event, Portrait
from reach_runtime.consumer import Handler
from reach_runtime.uow import UnitOfWork

from reach_profile.adapters.portraits import PortraitRepository, Record, portrait_event
from reach_profile.domain.rules import PortraitRules
from reach_profile.domain.state import FOLDED_EVENT_TYPES, fold, local_day
from reach_profile.domain.view import derive, review_at

PORTRAITS_TOPIC = "reach.portraits.v1"


def as_contract(
    fields: dict[str, Any], now: datetime, version: int
) -> tuple[Portrait, dict[str, Any]]:
    """The contract's portrait, and its fields in JSON form (what is stored and compared)."""
    model = Portrait.model_validate({"version": version, "as_of": now, **fields})
    return model, model.model_dump(mode="json", exclude={"version", "as_of"})


def refresh(
    uow: UnitOfWork,
    repository: PortraitRepository,
    record: Record,
    now: datetime,
    rules: PortraitRules,
) -> bool:
    """Derive the portrait at `now`; a material change becomes a new version. True if it changed."""
    model, fields = as_contract(derive(record.state, now, rules), now, record.version + 1)
    changed = fields != record.portrait
    if changed:
        before, record.portrait, record.version = record.portrait, fields, record.version + 1
        diff = {k: [before.get(k), v] for k, v in fields.items() if before.get(k) != v}
        repository.add_version(record, now, diff)
        uow.emit(PORTRAITS_TOPIC, portrait_event(record.state.client_id, model))
    if changed or record.as_of is None:
        record.as_of = now
    repository.save(record, review_at=review_at(record.state, now, rules), now=uow.clock.now())
    return changed


def portrait_unmoved(
    record: Record, event: Event, latest_before: datetime | None, now: datetime
) -> bool:
    """True when deriving again would give the stored portrait: the fold does not read this
    event type, the day of the latest event (which sets what the fold prunes) did not move, and
    time alone has not moved the portrait since it was derived (`now` before its review)."""
    return (
        event.event_type not in FOLDED_EVENT_TYPES
        and record.as_of is not None
        and latest_before is not None
        and record.state.latest_event_at is not None
        and local_day(latest_before) == local_day(record.state.latest_event_at)
        and (record.review_at is None or now < record.review_at)
    )


def subscriptions(rules: PortraitRules) -> Mapping[str, Mapping[str, Handler]]:
    """Every upstream event feeds the portrait."""

    async def on_event(event: Event, uow: UnitOfWork) -> None:
        repository = PortraitRepository.of(uow)
        record = await repository.get(event.client_id)
        latest_before = record.state.latest_event_at
        fold(record.state, event, history_days=rules.history_days)
        now = max(uow.clock.now(), record.state.latest_event_at or uow.clock.now())
        if portrait_unmoved(record, event, latest_before, now):
            repository.save(record, review_at=record.review_at, now=uow.clock.now())
        else:
            refresh(uow, repository, record, now, rules)

    upstream = [t for t in TOPICS.values() if t.producer == "upstream"]
    return {
        t.name: {cls.model_fields["event_type"].default: on_event for cls in t.events}
        for t in upstream
    }


async def review_due(*, uow: UnitOfWork, rules: PortraitRules, limit: int = 500) -> int:
    """Re-derive portraits whose time-relative fields may have moved; returns how many."""
    repository = PortraitRepository.of(uow)
    now = uow.clock.now()
    records = await repository.due_for_review(now, limit=limit)
    for record in records:
        refresh(uow, repository, record, now, rules)
    await uow.commit()
    return len(records)
