"""The topic table: names, producers, keys and the event types each topic carries."""

import pytest
from reach_contracts import (
    DEAD_LETTER_TOPIC,
    TOPICS,
    ContractError,
    OutreachRequested,
    PortraitUpdated,
    event_class,
    topic_for,
)
from reach_contracts.envelope import event_type_of


@pytest.mark.parametrize("topic", TOPICS.values(), ids=lambda topic: topic.name)
def test_every_event_on_a_topic_carries_the_topic_key_field_as_a_required_field(topic) -> None:
    for event in topic.events:
        assert topic.key_field in event.model_fields
        assert event.model_fields[topic.key_field].is_required()
        assert topic.key_field in event.model_json_schema()["required"]


def test_each_event_type_belongs_to_exactly_one_topic() -> None:
    event_types = [event_type_of(event) for t in TOPICS.values() for event in t.events]

    assert len(event_types) == len(set(event_types))


def test_the_topic_table_holds_the_upstream_and_internal_topics() -> None:
    assert set(TOPICS) == {
        "trading.trades.v1",
        "trading.logins.v1",
        "trading.fund-transfers.v1",
        "trading.positions.v1",
        "accounts.events.v1",
        "products.subscriptions.v1",
        "engagement.events.v1",
        "reach.portraits.v1",
        "reach.segment-memberships.v1",
        "reach.outreach.v1",
        "reach.deliveries.v1",
    }
    assert DEAD_LETTER_TOPIC == "reach.dead-letters.v1"
    assert DEAD_LETTER_TOPIC not in TOPICS


def test_only_the_portraits_topic_is_compacted() -> None:
    assert [t.name for t in TOPICS.values() if t.compacted] == ["reach.portraits.v1"]


def test_reach_topics_are_produced_by_the_service_that_owns_them() -> None:
    producers = {name: topic.producer for name, topic in TOPICS.items()}

    assert producers["reach.portraits.v1"] == "profile"
    assert producers["reach.segment-memberships.v1"] == "segmenter"
    assert producers["reach.outreach.v1"] == "campaign"
    assert producers["reach.deliveries.v1"] == "notifier"
    assert all(p == "upstream" for n, p in producers.items() if not n.startswith("reach."))


def test_event_class_and_topic_for_look_up_by_event_type() -> None:
    assert event_class("portrait.updated") is PortraitUpdated
    assert event_class("outreach.requested") is OutreachRequested
    assert topic_for("outreach.held_out").name == "reach.outreach.v1"


def test_an_unknown_event_type_lookup_raises_a_contract_error() -> None:
    with pytest.raises(ContractError, match="unknown event_type 'nope'"):
        event_class("nope")
