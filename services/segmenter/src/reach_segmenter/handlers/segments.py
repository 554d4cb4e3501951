"""Commands on segments: create, edit (a new version), archive, preview; each change starts a
back-fill job that `backfills.run_page` works through."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from reach_runtime.errors import Conflict, Invalid, NotFound
from reach_runtime.uow import UnitOfWork
from sqlalchemy import func, select

from reach_segmenter.adapters.catalog import bump, live_segments, load_catalog, segment_def
from reach_segmenter.adapters.rule_sql import rule_clause
from reach_segmenter.adapters.segments import SegmentStore, end_backfills
from reach_segmenter.db.tables import BackfillRow, PortraitRow, SegmentRow, SegmentVersionRow
from reach_segmenter.domain.catalog import Catalog, CycleError, SegmentDef
from reach_segmenter.domain.rules import Rule, is_time_relative
from reach_segmenter.domain.segment import parse_rule, rule_json


def _parse(rule: Any) -> Rule:
    try:
        return parse_rule(rule)
    except ValueError as error:
        raise Invalid(str(error), field="rule") from error


def _references(data: Any, path: str = "rule") -> list[tuple[str, str]]:
    """(path, name) of every segment reference in a rule's JSON form."""
    if isinstance(data, dict):
        if "segment" in data and isinstance(data["segment"], str):
            return [(f"{path}.segment", data["segment"])]
        return [r for k, v in data.items() for r in _references(v, f"{path}.{k}")]
    if isinstance(data, list):
        return [r for i, v in enumerate(data) for r in _references(v, f"{path}.{i}")]
    return []


def _check_plan(live: list[SegmentDef], rule_data: Any) -> None:
    """Refuse references to segments that are not live, and cycles among the live segments."""
    names = {s.name for s in live}
    for path, name in _references(rule_data):
        if name not in names:
            raise Invalid(f"no live segment named {name!r}", field=path)
    try:
        Catalog(0, live)
    except CycleError as error:
        raise Invalid(str(error), field="rule") from error


async def _start_backfill(uow: UnitOfWork, segment: SegmentRow, reason: str) -> BackfillRow:
    """Supersede the segment's running job and queue a pass over every portrait."""
    now = uow.clock.now()
    await end_backfills(uow.session, BackfillRow.segment_id == segment.id, "superseded", now)
    total = await uow.session.scalar(select(func.count()).select_from(PortraitRow)) or 0
    last = await uow.session.scalar(
        select(func.max(BackfillRow.number)).where(BackfillRow.segment_id == segment.id)
    )
    job = BackfillRow(
        id=str(uuid.uuid4()),
        segment_id=segment.id,
        number=(last or 0) + 1,
        segment_version=segment.version,
        reason=reason,
        status="running",
        total=total,
        done=0,
        entered=0,
        exited=0,
        started_at=now,
        updated_at=now,
    )
    uow.session.add(job)
    return job


async def _save(
    uow: UnitOfWork, segment: SegmentRow, reason: str, check: Callable[[list[SegmentDef]], None]
) -> BackfillRow:
    """Queue the back-fill, raise the catalog version, check the plan as it now stands (other
    changes committed meanwhile included), and commit; nothing is saved if the check raises."""
    await uow.session.flush()
    await bump(uow.session)  # first: waits for the passes in flight, keeps new ones out
    job = await _start_backfill(uow, segment, reason)  # then the job rows they update
    check([segment_def(r) for r in await live_segments(uow.session)])
    await uow.commit()
    return job


async def create_segment(
    *, uow: UnitOfWork, name: str, description: str, rule: Any, actor: str = "system"
) -> tuple[SegmentRow, BackfillRow]:
    """Create a segment (version 1) and queue the back-fill of its members."""
    parsed = _parse(rule)
    store = SegmentStore.of(uow)
    if await store.by_name(name) is not None:
        raise Conflict(f"a segment named {name!r} exists", field="name")
    segment_id = str(uuid.uuid4())
    now = uow.clock.now()
    segment = SegmentRow(
        id=segment_id,
        name=name,
        description=description,
        rule=rule_json(parsed),
        time_relative=is_time_relative(parsed),
        created_at=now,
        updated_at=now,
        swept_at=now,
        version=1,
    )
    uow.session.add(segment)
    uow.session.add(
        SegmentVersionRow(
            segment_id=segment_id,
            version=1,
            description=description,
            rule=segment.rule,
            created_at=now,
            created_by=actor,
        )
    )
    job = await _save(uow, segment, "create", lambda live: _check_plan(live, rule))
    return segment, job


async def _live(store: SegmentStore, segment_id: str) -> SegmentRow:
    segment = await store.segment(segment_id)
    if segment is None:
        raise NotFound(f"no segment {segment_id!r}", field="segment_id")
    if segment.archived_at is not None:
        raise Conflict(f"segment {segment.name!r} is archived", field="segment_id")
    return segment


async def edit_segment(
    *,
    uow: UnitOfWork,
    segment_id: str,
    description: str | None,
    rule: Any,
    actor: str = "system",
) -> tuple[SegmentRow, BackfillRow]:
    """Save a new version of the rule; the back-fill moves only clients whose membership changes."""
    parsed = _parse(rule)
    store = SegmentStore.of(uow)
    segment = await _live(store, segment_id)
    version = segment.version + 1
    now = uow.clock.now()
    segment.version = version
    segment.rule = rule_json(parsed)
    segment.time_relative = is_time_relative(parsed)
    segment.updated_at = now
    segment.swept_at = now  # the back-fill evaluates from now on; sweeps take over after it
    if description is not None:
        segment.description = description
    uow.session.add(
        SegmentVersionRow(
            segment_id=segment.id,
            version=version,
            description=segment.description,
            rule=segment.rule,
            created_at=now,
            created_by=actor,
        )
    )
    job = await _save(uow, segment, "edit", lambda live: _check_plan(live, rule))
    return segment, job


async def archive_segment(
    *, uow: UnitOfWork, segment_id: str, actor: str = "system"
) -> tuple[SegmentRow, BackfillRow]:
    """Stop evaluating a segment; its members exit (announced) as the archive job runs."""
    store = SegmentStore.of(uow)
    segment = await _live(store, segment_id)
    now = uow.clock.now()
    segment.archived_at, segment.archived_by = now, actor
    segment.updated_at = now

    def unused(live: list[SegmentDef]) -> None:
        users = sorted(s.name for s in live if segment.name in s.refers_to)
        if users:
            raise Conflict(
                f"segment {segment.name!r} is referred to by {', '.join(users)}; "
                "edit or archive those first",
                field="segment_id",
            )

    job = await _save(uow, segment, "archive", unused)
    return segment, job


async def preview(*, uow: UnitOfWork, rule: Any) -> tuple[int, int]:
    """(matching, total): how many stored portraits the rule selects now, without saving it."""
    parsed = _parse(rule)
    catalog = await load_catalog(uow.session)
    for path, name in _references(rule):
        if name not in catalog.by_name:
            raise Invalid(f"no live segment named {name!r}", field=path)
    clause = rule_clause(
        parsed,
        dialect=uow.session.bind.dialect.name,
        now=uow.clock.now(),
        segment_ids=catalog.ids_by_name(),
    )
    matching = await uow.session.scalar(select(func.count()).select_from(PortraitRow).where(clause))
    total = await uow.session.scalar(select(func.count()).select_from(PortraitRow))
    return matching or 0, total or 0
