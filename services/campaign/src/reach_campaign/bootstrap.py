"""The campaign service's composition root."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import get_args

from reach_contracts import Event, topic_for
from reach_runtime.service import Runtime, ServiceDefinition
from reach_runtime.uow import UnitOfWork

from reach_campaign.adapters.clients import ClientState
from reach_campaign.api import audit, campaigns, catalogue, decisions, scripts
from reach_campaign.db.tables import metadata
from reach_campaign.domain.model import UpstreamEvent
from reach_campaign.handlers.decisions import release_due
from reach_campaign.handlers.portraits import on_portrait_updated
from reach_campaign.handlers.triggers import (
    event_handler,
    segment_handlers,
    sweep_inactivity,
    sweep_schedules,
)
from reach_campaign.settings import CampaignSettings

log = logging.getLogger(__name__)
UPSTREAM_EVENTS = get_args(UpstreamEvent)


def subscriptions(settings: CampaignSettings) -> dict[str, dict]:
    """Memberships and portraits, and every upstream event a scene can name."""
    on_event = event_handler(settings.caps)
    result: dict[str, dict] = {
        "reach.segment-memberships.v1": segment_handlers(settings.caps),
        "reach.portraits.v1": {"portrait.updated": on_portrait_updated},
    }
    for event_type in UPSTREAM_EVENTS:
        result.setdefault(topic_for(event_type).name, {})[event_type] = on_event
    return result


async def preload(events: list[Event], uow: UnitOfWork) -> None:
    """Load what the batch's handlers will read, in a few queries for the whole batch: the
    stored portraits, memberships and activity of its clients (adapters/clients.py)."""
    await ClientState.of(uow).load({e.client_id for e in events})


def bootstrap(settings: CampaignSettings | None = None) -> ServiceDefinition:
    settings = settings or CampaignSettings()

    async def releaser(runtime: Runtime) -> None:
        """Releases stored sends as they fall due: delayed, deferred to the window, or held."""
        while True:
            try:
                async with runtime.uows() as uow:
                    released = await release_due(uow, settings.caps)
            except Exception:
                log.exception("releasing due sends failed; retrying")
                released = 0
            if released < 200:
                await asyncio.sleep(settings.release_interval_s)

    async def sweeper(runtime: Runtime) -> None:
        """Fires inactivity and schedule scenes as time passes, every `sweep_interval_s`."""
        while True:
            await asyncio.sleep(settings.sweep_interval_s)
            try:
                async with runtime.uows() as uow:
                    await sweep_inactivity(uow, settings.caps)
            except Exception:
                log.exception("the inactivity sweep failed; next in %ss", settings.sweep_interval_s)
            try:
                await sweep_schedules(runtime.uows, settings.caps, page=settings.schedule_page)
            except Exception:
                log.exception("the schedule sweep failed; next in %ss", settings.sweep_interval_s)

    return ServiceDefinition(
        name="campaign",
        description="Campaigns from the eight operating elements: versioned, approved by a second"
        " person, audited; fired at the right moment through the client-protection gate, with"
        " holdout groups and a record of every decision.",
        settings=settings,
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "versions",
        subscriptions=subscriptions(settings),
        routers=[
            campaigns.router,
            scripts.router,
            catalogue.router,
            audit.router,
            decisions.router,
        ],
        workers=[releaser, sweeper],
        preload=preload,
    )
