"""What an outreach event tells analytics to measure it by: the goal, the window, the segment,
and for a held-out client the channel and the A/B variant they would have had."""

from __future__ import annotations

from collections import Counter

from reach_campaign.domain.assignment import variant_index
from reach_campaign.domain.model import CampaignSpec
from reach_campaign.handlers.decisions import evaluated, would_have_sent


def spec(**changes: object) -> CampaignSpec:
    document = {
        "name": "bond fund",
        "goal": {"primary_event": "product.purchased", "attribution_window_days": 14},
        "service": {"purpose": "marketing", "item_id": "F006011"},
        "scene": {"kind": "segment_entered", "segment_id": "SEG-1"},
        "touchpoint": {"channels": ["email", "sms"]},
        "script": {
            "variants": [
                {"channel": "sms", "variant": "A", "script_id": "S1", "version": 1},
                {"channel": "email", "variant": "A", "script_id": "E1", "version": 2},
                {"channel": "email", "variant": "B", "script_id": "E2", "version": 1, "weight": 3},
            ]
        },
    }
    return CampaignSpec.model_validate(document | changes)


def test_every_decision_carries_the_goal_window_and_triggering_segment() -> None:
    assert evaluated(spec()) == {
        "goal_event": "product.purchased",
        "attribution_window_days": 14,
        "segment_id": "SEG-1",
    }
    timed = spec(scene={"kind": "inactivity", "event_type": "login.succeeded", "days": 30})
    assert evaluated(timed)["segment_id"] is None


def test_a_held_out_client_gets_the_variant_the_first_channel_would_have_given_them() -> None:
    weights = [1, 3]  # email's variants A and B, in the script's order
    seen = Counter()
    for n in range(2000):
        client = f"C{n:05d}"
        would = would_have_sent(spec(), "CMP-1", client)
        expected = ("A", "B")[variant_index("CMP-1", client, weights)]
        assert (would["channel"], would["variant"]) == ("email", expected)
        assert would["script_version"] == {"A": "E1@2", "B": "E2@1"}[expected]
        seen[would["variant"]] += 1
    assert 0.2 < seen["A"] / 2000 < 0.3  # in proportion to the weights
