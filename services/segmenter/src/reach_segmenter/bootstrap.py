"""The segmenter's composition root."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from reach_runtime.service import Runtime, ServiceDefinition

from reach_segmenter.adapters.catalog import CatalogCache
from reach_segmenter.api.routes import clients, router
from reach_segmenter.db.tables import metadata
from reach_segmenter.handlers.backfills import run_page, sweep
from reach_segmenter.handlers.portraits import preloader, subscriptions
from reach_segmenter.settings import SegmenterSettings

log = logging.getLogger(__name__)


def bootstrap(settings: SegmenterSettings | None = None) -> ServiceDefinition:
    settings = settings or SegmenterSettings()
    catalogs = CatalogCache()  # one per process, shared by the consumer and the workers

    async def sweeper(runtime: Runtime) -> None:
        """Moves time-relative memberships as the clock passes, every `sweep_interval_s`."""
        while True:
            await asyncio.sleep(settings.sweep_interval_s)
            started = time.perf_counter()
            try:
                entered, exited = await sweep(
                    uows=runtime.uows, catalogs=catalogs, page_size=settings.backfill_page_size
                )
            except Exception:
                log.exception("segment sweep failed; next one in %ss", settings.sweep_interval_s)
                continue
            log.info(
                "sweep: %s entered, %s exited in %.2fs",
                entered,
                exited,
                time.perf_counter() - started,
            )

    async def backfiller(runtime: Runtime) -> None:
        """Works queued back-fill jobs page by page, a lane per worker; idle, each polls every
        `backfill_poll_s`."""
        # SQLite writes one transaction at a time: one lane, one worker.
        lanes = 1 if settings.database_url.startswith("sqlite") else settings.backfill_lanes
        await asyncio.gather(*(_backfill_worker(runtime, lanes) for _ in range(lanes)))

    async def _backfill_worker(runtime: Runtime, lanes: int) -> None:
        while True:
            try:
                async with runtime.uows() as uow:
                    worked = await run_page(
                        uow=uow,
                        catalogs=catalogs,
                        page_size=settings.backfill_page_size,
                        lanes=lanes,
                    )
            except Exception:
                log.exception("back-fill page failed; retrying")
                worked = False
            if not worked:
                await asyncio.sleep(settings.backfill_poll_s)

    return ServiceDefinition(
        name="segmenter",
        description="Keeps clients in segments as their portraits change and as time passes.",
        settings=settings,
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "versions",
        subscriptions=subscriptions(catalogs),
        routers=[router, clients],
        workers=[sweeper, backfiller],
        preload=preloader(catalogs),
    )
