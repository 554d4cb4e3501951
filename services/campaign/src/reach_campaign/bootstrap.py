"""The campaign service's composition root."""

from __future__ import annotations

from pathlib import Path

from reach_runtime.service import ServiceDefinition

from reach_campaign.api import audit, campaigns, catalogue, scripts
from reach_campaign.db.tables import metadata
from reach_campaign.handlers.portraits import on_portrait_updated
from reach_campaign.handlers.triggers import SUBSCRIPTIONS as TRIGGERS
from reach_campaign.settings import CampaignSettings


def bootstrap(settings: CampaignSettings | None = None) -> ServiceDefinition:
    return ServiceDefinition(
        name="campaign",
        description="Campaigns from the eight operating elements: versioned, approved by a second"
        " person, audited; fired at the right moment with holdout groups.",
        settings=settings or CampaignSettings(),
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "versions",
        subscriptions={
            **TRIGGERS,
            "reach.portraits.v1": {"portrait.updated": on_portrait_updated},
        },
        routers=[campaigns.router, scripts.router, catalogue.router, audit.router],
    )
