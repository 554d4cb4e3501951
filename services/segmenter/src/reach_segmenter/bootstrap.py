"""The segmenter's composition root."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from reach_runtime.service import Runtime, ServiceDefinition

from reach_segmenter.adapters.segments import preload
from reach_segmenter.api.routes import router
from reach_segmenter.db.tables import metadata
from reach_segmenter.handlers.portraits import SUBSCRIPTIONS
from reach_segmenter.handlers.segments import sweep
from reach_segmenter.settings import SegmenterSettings

log = logging.getLogger(__name__)


def bootstrap(settings: SegmenterSettings | None = None) -> ServiceDefinition:
    settings = settings or SegmenterSettings()

    async def sweeper(runtime: Runtime) -> None:
        """Moves time-relative memberships as the clock passes."""
        while True:
            await asyncio.sleep(settings.sweep_interval_s)
            try:
                async with runtime.uows() as uow:
                    await sweep(uow=uow)
            except Exception:
                log.exception("segment sweep failed; next one in %ss", settings.sweep_interval_s)

    return ServiceDefinition(
        name="segmenter",
        description="Keeps clients in segments as their portraits change and as time passes.",
        settings=settings,
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "versions",
        subscriptions=SUBSCRIPTIONS,
        routers=[router],
        workers=[sweeper],
        preload=preload,
    )
