"""Helpers shared by the campaign service's tests."""

from __future__ import annotations

from typing import Any

from reach_campaign.settings import CampaignSettings
from reach_runtime.stack import Broker

OUTREACH = "reach.outreach.v1"
ANN, BOB = {"X-Reach-Actor": "ann"}, {"X-Reach-Actor": "bob"}


def settings_for(database_url: str, broker: Broker, **overrides: Any) -> CampaignSettings:
    """Test settings for one campaign service on this database and broker."""
    return CampaignSettings(
        reach_env="test",
        database_url=database_url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=broker.prefix,
        **overrides,
    )
