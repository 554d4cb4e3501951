"""Every documented example is a valid event that survives the wire."""

import json
from typing import Any

import pytest
from reach_contracts import TOPICS, Event, decode, encode
from reach_contracts.asyncapi import schema_path
from reach_contracts.envelope import event_type_of
from reach_contracts.generate import CONTRACTS_DIR

EVENT_CLASSES = [(topic, event) for topic in TOPICS.values() for event in topic.events]
EXAMPLES = [
    pytest.param(topic.name, event, example, id=f"{event.__name__}-{index}")
    for topic, event in EVENT_CLASSES
    for index, example in enumerate(event.examples(), start=1)
]


@pytest.mark.parametrize(
    "event", [event for _, event in EVENT_CLASSES], ids=lambda event: event.__name__
)
def test_every_event_class_documents_a_full_envelope_example(event: type[Event]) -> None:
    examples = event.examples()
    assert examples, f"{event.__name__} has no example"
    for example in examples:
        assert set(example) == set(Event.model_fields)
        assert example["event_type"] == event_type_of(event)
        assert example["occurred_at"].endswith("+08:00")


@pytest.mark.parametrize(("topic", "event", "example"), EXAMPLES)
def test_each_example_validates_as_its_event_class(
    topic: str, event: type[Event], example: dict[str, Any]
) -> None:
    assert isinstance(event.model_validate(example), event)


@pytest.mark.parametrize(("topic", "event", "example"), EXAMPLES)
def test_each_example_decodes_on_its_topic_and_round_trips_through_encode(
    topic: str, event: type[Event], example: dict[str, Any]
) -> None:
    decoded = decode(topic, json.dumps(example, ensure_ascii=False).encode())

    assert type(decoded) is event
    assert decoded == event.model_validate(example)
    assert decode(topic, encode(decoded)) == decoded
    assert encode(decode(topic, encode(decoded))) == encode(decoded)


def test_every_example_and_its_encoding_conform_to_the_published_json_schema() -> None:
    # jsonschema is optional: the workspace dev group may not carry it.
    jsonschema = pytest.importorskip("jsonschema")
    for topic, event in EVENT_CLASSES:
        schema_file = CONTRACTS_DIR / schema_path(topic, event)
        schema = json.loads(schema_file.read_text(encoding="utf-8"))
        validator = jsonschema.Draft202012Validator(schema)
        for example in event.examples():
            validator.validate(example)
            validator.validate(json.loads(encode(event.model_validate(example))))
