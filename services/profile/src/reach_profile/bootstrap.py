"""The profile service's composition root."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from reach_runtime.service import Runtime, ServiceDefinition

from reach_profile.adapters.portraits import preload
from reach_profile.api.routes import router
from reach_profile.db.tables import metadata
from reach_profile.handlers.portraits import review_due, subscriptions
from reach_profile.settings import ProfileSettings

log = logging.getLogger(__name__)


def bootstrap(settings: ProfileSettings | None = None) -> ServiceDefinition:
    settings = settings or ProfileSettings()
    rules = settings.portrait_rules()

    async def reviewer(runtime: Runtime) -> None:
        """Moves portraits that time alone changes (a client becoming sleeping, windows sliding)."""
        while True:
            try:
                async with runtime.uows() as uow:
                    done = await review_due(uow=uow, rules=rules)
            except Exception:
                log.exception("portrait review failed; retrying")
                done = 0
            if done == 0:
                await asyncio.sleep(settings.review_interval_s)

    return ServiceDefinition(
        name="profile",
        description="Builds the live portrait of every client from upstream events.",
        settings=settings,
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "versions",
        subscriptions=subscriptions(rules),
        routers=[router],
        workers=[reviewer],
        preload=preload,
    )
