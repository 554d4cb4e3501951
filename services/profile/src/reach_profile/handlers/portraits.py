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
from reach_profile.domain.state import fold
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


def subscriptions(rules: PortraitRules) -> Mapping[str, Mapping[str, Handler]]:
    """Every upstream event feeds the portrait."""

    async def on_event(event: Event, uow: UnitOfWork) -> None:
        repository = PortraitRepository.of(uow)
        record = await repository.get(event.client_id)
        fold(record.state, event, history_days=rules.history_days)
        now = max(uow.clock.now(), record.state.latest_event_at or uow.clock.now())
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
