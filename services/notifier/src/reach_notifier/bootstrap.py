"""The notifier's composition root: channel adapters are built here and nowhere else."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path

from reach_runtime.service import Runtime, ServiceDefinition

from reach_notifier.adapters.email import SmtpEmail
from reach_notifier.api.routes import router
from reach_notifier.db.tables import metadata
from reach_notifier.domain.channels import ChannelAdapter
from reach_notifier.handlers.dispatch import dispatch_due, release_interrupted
from reach_notifier.handlers.intake import SUBSCRIPTIONS
from reach_notifier.settings import NotifierSettings

log = logging.getLogger(__name__)


def bootstrap(
    settings: NotifierSettings | None = None, channels: Mapping[str, ChannelAdapter] | None = None
) -> ServiceDefinition:
    settings = settings or NotifierSettings()
    channels = channels or {
        "email": SmtpEmail(
            host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_sender
        ),
    }

    async def dispatcher(runtime: Runtime) -> None:
        """Sends what is due, as soon as it is due."""
        async with runtime.uows() as uow:
            released = await release_interrupted(uow=uow)
        if released:
            log.warning("released %d sends interrupted mid-flight", released)
        while True:
            try:
                attempted = await dispatch_due(uows=runtime.uows, channels=channels)
            except Exception:
                log.exception("dispatch failed; retrying")
                attempted = 0
            if not attempted:
                await asyncio.sleep(settings.dispatch_interval_s)

    return ServiceDefinition(
        name="notifier",
        description="Delivers outreach over every channel, once, and only with consent.",
        settings=settings,
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "versions",
        subscriptions=SUBSCRIPTIONS,
        routers=[router],
        workers=[dispatcher],
    )
