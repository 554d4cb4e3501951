"""Helpers shared by the campaign service's tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reach_campaign.settings import CampaignSettings
from reach_contracts import SegmentEntered, SegmentMembershipChange
from reach_runtime.stack import Broker

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
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


def entered(client_id: str, segment_id: str = "SEG-X", n: int = 1) -> SegmentEntered:
    """Client `client_id` enters the segment at NOW (`n` tells repeated entries apart)."""
    return SegmentEntered(
        event_id=f"seg-{segment_id}-{client_id}-{n}",
        occurred_at=NOW,
        client_id=client_id,
        payload=SegmentMembershipChange(segment_id=segment_id, segment_name=segment_id.lower()),
    )
