"""Set passes by SQL, a page of portraits per transaction: back-fill jobs (create, edit,
archive) and the sweep of time-relative segments.

A page covers the portraits with client ids in (after, upper]; its memberships, history,
events and the job's progress commit together, so a crash loses at most the page in hand and
the re-run, seeing the committed moves, announces nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from reach_runtime.db import insert_for
from reach_runtime.uow import UnitOfWork
from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reach_segmenter.adapters.catalog import CatalogCache, segment_def
from reach_segmenter.adapters.memberships import Scope, among
from reach_segmenter.adapters.rule_sql import rule_clause
from reach_segmenter.adapters.segments import end_backfills
from reach_segmenter.db.tables import BackfillLaneRow, BackfillRow, PortraitRow, SegmentRow
from reach_segmenter.domain.catalog import SegmentDef
from reach_segmenter.domain.rules import AllOf, AnyOf, Condition, time_windows
from reach_segmenter.handlers.membership import reconcile

log = logging.getLogger(__name__)


async def _upper_bound(uow: UnitOfWork, after: str, page_size: int) -> str | None:
    """The last client id of the next page, or None when the rest fits in one page."""
    return await uow.session.scalar(
        select(PortraitRow.client_id)
        .where(PortraitRow.client_id > after)
        .order_by(PortraitRow.client_id)
        .offset(page_size - 1)
        .limit(1)
    )


def _page(after: str, upper: str | None) -> Scope:
    def scope(column: ColumnElement[str]) -> ColumnElement[bool]:
        return column > after if upper is None else (column > after) & (column <= upper)

    return scope


async def run_page(*, uow: UnitOfWork, catalogs: CatalogCache, page_size: int, lanes: int) -> bool:
    """Work one page of a free lane of the oldest running back-fill; False when there is none.

    The first page splits the job into `lanes` client-id ranges of about equal size. Workers
    take different lanes, and their pages run side by side: the `portraits` lock they hold is
    shared among pages (see adapters.catalog). The job's counters move by increments, and the
    worker that finishes the last lane marks the job done.
    """
    job = await uow.session.scalar(
        select(BackfillRow)
        .where(BackfillRow.status == "running")
        .order_by(BackfillRow.started_at, BackfillRow.id)
        .limit(1)
    )
    if job is None:
        return False
    lane = await _free_lane(uow, job, lanes)
    if lane is None:
        return False  # every lane is being worked by another worker
    catalog = await catalogs.current(uow, lock="page")  # before reading any membership
    row = await uow.session.get(SegmentRow, job.segment_id)
    assert row is not None
    archived = job.reason == "archive"
    segment = catalog.by_id.get(job.segment_id) if not archived else segment_def(row)
    if segment is None or (not archived and segment.version != job.segment_version):
        # A newer version's job does the work; the change that made it marked this one.
        await end_backfills(uow.session, BackfillRow.id == job.id, "superseded", uow.clock.now())
        await uow.commit()
        return True
    upper = await _upper_bound(uow, lane.after_client_id, page_size)
    if lane.upper_client_id is not None and (upper is None or upper >= lane.upper_client_id):
        upper = lane.upper_client_id
    moved = await reconcile(
        uow,
        catalog,
        segment,
        _page(lane.after_client_id, upper),
        cause=f"backfill:{job.id}",
        archived=archived,
    )
    await uow.write_emitted()  # before the job row is locked by the update below
    await _advance(uow, job, lane, upper, moved, page_size)
    _log_progress(job, row.name, uow.clock.now())
    await uow.commit()
    return True


async def _advance(
    uow: UnitOfWork,
    job: BackfillRow,
    lane: BackfillLaneRow,
    upper: str | None,
    moved: tuple[int, int],
    page_size: int,
) -> None:
    """Move the lane past its page (through `upper`, None: to the end) and add the page's
    (entered, exited) to the job; the last lane to finish marks the job done."""
    now = uow.clock.now()
    lane.after_client_id = upper or lane.after_client_id
    lane.status = "running" if upper is not None and upper != lane.upper_client_id else "done"
    await uow.session.flush()
    done = BackfillRow.done + page_size
    await uow.session.execute(
        update(BackfillRow)
        .where(BackfillRow.id == job.id)
        .values(
            entered=BackfillRow.entered + moved[0],
            exited=BackfillRow.exited + moved[1],
            done=case((done > BackfillRow.total, BackfillRow.total), else_=done),
            updated_at=now,
        )
    )  # the row stays locked to commit: another lane's update waits for it, then sees it
    if lane.status == "done" and not await _running_lanes(uow, job.id):
        await end_backfills(
            uow.session, BackfillRow.id == job.id, "done", now, done=BackfillRow.total
        )
    await uow.session.refresh(job)


async def _free_lane(uow: UnitOfWork, job: BackfillRow, lanes: int) -> BackfillLaneRow | None:
    """A running lane of `job` no other worker holds, locked; the lanes are made first if the
    job has none yet (by one worker: another one's insert waits for it, then adds nothing)."""
    query = (
        select(BackfillLaneRow)
        .where(BackfillLaneRow.backfill_id == job.id, BackfillLaneRow.status == "running")
        .order_by(BackfillLaneRow.lane)
        .limit(1)
    )
    if uow.session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    lane = await uow.session.scalar(query)
    if lane is not None:
        return lane
    made = await uow.session.scalar(
        select(func.count())
        .select_from(BackfillLaneRow)
        .where(BackfillLaneRow.backfill_id == job.id)
    )
    if made:
        return None  # every lane is done or held
    inner = [await _nth_client(uow, job.total * k // lanes) for k in range(1, lanes)]
    bounds = list(dict.fromkeys(["", *(b for b in inner if b is not None)]))
    rows = [
        {
            "backfill_id": job.id,
            "lane": n,
            "after_client_id": lower,
            "upper_client_id": bounds[n + 1] if n + 1 < len(bounds) else None,
            "status": "running",
        }
        for n, lower in enumerate(bounds)
    ]
    await uow.session.execute(
        insert_for(uow.session)(BackfillLaneRow).on_conflict_do_nothing(), rows
    )
    return await uow.session.scalar(query)


async def _nth_client(uow: UnitOfWork, n: int) -> str | None:
    """The n-th client id (from 1) in client-id order, or None past the last."""
    if n < 1:
        return None
    return await _upper_bound(uow, "", n)


async def _running_lanes(uow: UnitOfWork, job_id: str) -> int:
    return (
        await uow.session.scalar(
            select(func.count())
            .select_from(BackfillLaneRow)
            .where(BackfillLaneRow.backfill_id == job_id, BackfillLaneRow.status == "running")
        )
        or 0
    )


def _log_progress(job: BackfillRow, name: str, now: datetime) -> None:
    progress = describe(job, now)
    log.info(
        "back-fill %s of %r: %s%% (%s/%s), eta %ss",
        job.reason,
        name,
        progress["percent"],
        job.done,
        job.total,
        progress["eta_s"],
        extra={"fields": {"segment_id": job.segment_id, "backfill_id": job.id, **progress}},
    )


def describe(job: BackfillRow, now: datetime) -> dict:
    """Progress of a job: percent done and the estimated seconds left."""
    percent = 100.0 if job.status != "running" or job.total == 0 else 100 * job.done / job.total
    elapsed = ((job.finished_at or now) - job.started_at).total_seconds()
    eta = None
    if job.status == "running" and job.done:
        eta = round(elapsed / job.done * (job.total - job.done), 1)
    elif job.status != "running":
        eta = 0.0
    return {
        "status": job.status,
        "percent": round(percent, 1),
        "eta_s": eta,
        "elapsed_s": round(elapsed, 1),
    }


async def sweep(
    *, uows: Callable[[], UnitOfWork], catalogs: CatalogCache, page_size: int
) -> tuple[int, int]:
    """Re-evaluate every time-relative segment at the clock's now; returns (entered, exited).

    Between two sweeps a membership can move with the clock only for a client whose timestamp
    crossed the edge of one of the rule's windows, so only those clients are evaluated (all of
    them when the segment has no previous sweep or the clock went back).
    """
    totals = [0, 0]
    async with uows() as uow:
        catalog = await catalogs.current(uow, lock="page")
    for segment in (s for s in catalog.ordered if s.time_relative):
        async with uows() as uow:
            row = await uow.session.get(SegmentRow, segment.id)
            now = uow.clock.now()
            if row is None or row.archived_at is not None:
                continue
            since = row.swept_at
            crossed = None
            if since is not None and since <= now:
                crossed = list(
                    await uow.session.scalars(
                        select(PortraitRow.client_id).where(
                            _crossed(segment, since, now, uow.session.bind.dialect.name)
                        )
                    )
                )
        parts = _full(uows, page_size) if crossed is None else _chunks(crossed, page_size)
        async for part in parts:
            async with uows() as uow:
                current = await catalogs.current(uow, lock="sweep")
                if segment.id not in current.by_id:
                    break  # archived or edited meanwhile: its own job took over
                entered, exited = await reconcile(
                    uow,
                    current,
                    current.by_id[segment.id],
                    part(uow.session),
                    cause=f"sweep:{now.isoformat()}",
                )
                await uow.commit()
            totals[0] += entered
            totals[1] += exited
        async with uows() as uow:
            await uow.session.execute(
                update(SegmentRow)
                .where(SegmentRow.id == segment.id, SegmentRow.version == segment.version)
                .values(swept_at=now)
            )
            await uow.commit()
    return totals[0], totals[1]


def _crossed(
    segment: SegmentDef, since: datetime, now: datetime, dialect: str
) -> ColumnElement[bool]:
    """Portraits with a timestamp that passed a window edge of the rule in [since, now)."""
    edges = AnyOf(
        any=[
            AllOf(
                all=[
                    Condition(field=name, op="gte", value=(since - window).isoformat()),
                    Condition(field=name, op="lt", value=(now - window).isoformat()),
                ]
            )
            for name, window in sorted(time_windows(segment.rule))
        ]
    )
    return rule_clause(edges, dialect=dialect, now=now, segment_ids={})


Part = Callable[[AsyncSession], Scope]  # the scope of one transaction of a sweep


async def _chunks(client_ids: list[str], size: int) -> AsyncIterator[Part]:
    for start in range(0, len(client_ids), size):
        chunk = client_ids[start : start + size]
        yield lambda session, ids=chunk: among(session, ids)


async def _full(uows: Callable[[], UnitOfWork], size: int) -> AsyncIterator[Part]:
    after = ""
    while True:
        async with uows() as uow:
            upper = await _upper_bound(uow, after, size)
        scope = _page(after, upper)
        yield lambda _session, scope=scope: scope
        if upper is None:
            return
        after = upper
