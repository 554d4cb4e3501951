"""The campaign service's composition root."""

from __future__ import annotations

from pathlib import Path

from reach_runtime.service import ServiceDefinition

from reach_campaign.api.routes import router
from reach_campaign.db.tables import metadata
from reach_campaign.handlers.triggers import SUBSCRIPTIONS
from reach_campaign.settings import CampaignSettings


def bootstrap(settings: CampaignSettings | None = None) -> ServiceDefinition:
    return ServiceDefinition(
        name="campaign",
        description="Fires campaigns at the right moment, with holdout groups.",
        settings=settings or CampaignSettings(),
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "versions",
        subscriptions=SUBSCRIPTIONS,
        routers=[router],
    )
