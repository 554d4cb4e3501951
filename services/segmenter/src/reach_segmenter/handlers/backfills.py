"""Whole-population passes by SQL, a page of portraits per transaction: back-fill jobs (create,
edit, archive) and the sweep of time-relative segments.

A page covers the portraits with client ids in (after, upper]; its memberships, history,
events and the job's progress commit together, so a crash loses at most the page in hand and
the re-run, seeing the committed moves, announces nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from reach_runtime.uow import UnitOfWork
from sqlalchemy import select

from reach_segmenter.adapters.catalog import CatalogCache, segment_def
from reach_segmenter.adapters.memberships import Scope
from reach_segmenter.db.tables import BackfillRow, PortraitRow, SegmentRow
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
    def scope(column):
        return column > after if upper is None else (column > after) & (column <= upper)

    return scope


async def run_page(*, uow: UnitOfWork, catalogs: CatalogCache, page_size: int) -> bool:
    """Work one page of the oldest running back-fill; False when there is none."""
    query = (
        select(BackfillRow)
        .where(BackfillRow.status == "running")
        .order_by(BackfillRow.started_at, BackfillRow.id)
        .limit(1)
    )
    if uow.session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # two workers take different jobs
    job = await uow.session.scalar(query)
    if job is None:
        return False
    catalog = await catalogs.current(uow, exclusive=True)  # before reading any membership
    row = await uow.session.get(SegmentRow, job.segment_id)
    assert row is not None
    archived = job.reason == "archive"
    segment = catalog.by_id.get(job.segment_id) if not archived else segment_def(row)
    if segment is None or (not archived and segment.version != job.segment_version):
        job.status = "superseded"  # a newer version's job does the work
    else:
        upper = await _upper_bound(uow, job.after_client_id, page_size)
        entered, exited = await reconcile(
            uow,
            catalog,
            segment,
            _page(job.after_client_id, upper),
            cause=f"backfill:{job.id}",
            archived=archived,
        )
        job.entered += entered
        job.exited += exited
        if upper is None:
            job.status, job.done = "done", job.total
        else:
            job.after_client_id, job.done = upper, min(job.done + page_size, job.total)
    now = uow.clock.now()
    job.updated_at = now
    if job.status != "running":
        job.finished_at = now
    _log_progress(job, row.name, now)
    await uow.commit()
    return True


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
    """Re-evaluate every time-relative segment at the clock's now, a page per transaction;
    returns (entered, exited)."""
    totals = [0, 0]
    async with uows() as uow:
        catalog = await catalogs.current(uow)
    for segment in (s for s in catalog.ordered if s.time_relative):
        after: str = ""
        while True:
            async with uows() as uow:
                current = await catalogs.current(uow, exclusive=True)
                if segment.id not in current.by_id:
                    break  # archived meanwhile
                now = uow.clock.now()
                upper = await _upper_bound(uow, after, page_size)
                entered, exited = await reconcile(
                    uow,
                    current,
                    current.by_id[segment.id],
                    _page(after, upper),
                    cause=f"sweep:{now.isoformat()}",
                )
                await uow.commit()
            totals[0] += entered
            totals[1] += exited
            if upper is None:
                break
            after = upper
    return totals[0], totals[1]
