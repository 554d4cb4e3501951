"""The AsyncAPI 3.0 document that describes every topic, its messages and its producer."""

from typing import Any

from reach_contracts.envelope import Event, event_type_of
from reach_contracts.topics import DEAD_LETTER_HEADERS, DEAD_LETTER_TOPIC, TOPICS, UPSTREAM, Topic

KAFKA_BINDING_VERSION = "0.5.0"
DOCUMENT_VERSION = "1.0.0"

_TRACE_HEADERS = {
    "type": "object",
    "description": "W3C trace context, so one upstream event can be followed through Reach.",
    "properties": {"traceparent": {"type": "string"}, "tracestate": {"type": "string"}},
}

_DEAD_LETTER_HEADER_MEANINGS = {
    "reach-dlq-reason": "Why it failed, e.g. a ContractError reason",
    "reach-dlq-source-topic": "Topic it was read from",
    "reach-dlq-source-partition": "Partition it was read from, as decimal text",
    "reach-dlq-source-offset": "Offset it was read at, as decimal text",
    "reach-dlq-consumer-group": "Consumer group that gave up on it",
}


def schema_path(topic: Topic, event: type[Event]) -> str:
    """Path of an event's JSON Schema, relative to the contracts directory."""
    return f"schemas/{topic.name}/{event_type_of(event)}.json"


def build_asyncapi() -> dict[str, Any]:
    """Build the AsyncAPI document for all topics and the dead-letter topic."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic in TOPICS.values():
        channel_id = _identifier(topic.name)
        channels[channel_id] = _channel(topic.name, topic.description, topic.compacted)
        for event in topic.events:
            messages[event.__name__] = _event_message(topic, event)
            channels[channel_id]["messages"][event.__name__] = {
                "$ref": f"#/components/messages/{event.__name__}"
            }
        operations[f"send_{channel_id}"] = _send_operation(channel_id, topic)
    dead_letters_id = _identifier(DEAD_LETTER_TOPIC)
    channels[dead_letters_id] = _channel(
        DEAD_LETTER_TOPIC,
        "Messages a consumer could not parse or validate, kept byte for byte with the reason.",
        compacted=False,
    )
    channels[dead_letters_id]["messages"]["DeadLetter"] = {
        "$ref": "#/components/messages/DeadLetter"
    }
    messages["DeadLetter"] = _dead_letter_message()
    operations[f"send_{dead_letters_id}"] = {
        "action": "send",
        "channel": {"$ref": f"#/channels/{dead_letters_id}"},
        "summary": "Any consuming service dead-letters a message it cannot process.",
        "messages": [{"$ref": f"#/channels/{dead_letters_id}/messages/DeadLetter"}],
        "tags": [{"name": "any-consumer"}],
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Reach events",
            "version": DOCUMENT_VERSION,
            "description": (
                "Every topic Reach reads or writes. All events share one JSON envelope "
                "(event_id, event_type, schema_version, occurred_at, client_id, payload) and are "
                "keyed by client_id. Within a topic version only additive changes are made and "
                "consumers ignore unknown fields; a breaking change means a new topic version."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def _identifier(name: str) -> str:
    """Turn a topic name into an AsyncAPI component key (letters, digits, '_' and '-')."""
    return name.replace(".", "_")


def _channel(address: str, description: str, compacted: bool) -> dict[str, Any]:
    """A channel for one Kafka topic."""
    return {
        "address": address,
        "description": description,
        "messages": {},
        "bindings": {
            "kafka": {
                "topic": address,
                "topicConfiguration": {"cleanup.policy": ["compact" if compacted else "delete"]},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _send_operation(channel_id: str, topic: Topic) -> dict[str, Any]:
    """The producer side of a topic."""
    if topic.producer == UPSTREAM:
        producer = "upstream trading and account systems"
    else:
        producer = f"the {topic.producer} service"
    return {
        "action": "send",
        "channel": {"$ref": f"#/channels/{channel_id}"},
        "summary": f"Sent by {producer}.",
        "messages": [
            {"$ref": f"#/channels/{channel_id}/messages/{event.__name__}"} for event in topic.events
        ],
        "tags": [{"name": topic.producer}],
    }


def _event_message(topic: Topic, event: type[Event]) -> dict[str, Any]:
    """A message: one event class, its schema file, its key and its examples."""
    key_schema = dict(event.model_json_schema()["properties"][topic.key_field])
    key_schema["description"] = f"The envelope's {topic.key_field}, UTF-8."
    return {
        "name": event_type_of(event),
        "title": event.__name__,
        "summary": (event.__doc__ or "").strip(),
        "contentType": "application/json",
        "headers": _TRACE_HEADERS,
        "payload": {"$ref": f"./{schema_path(topic, event)}"},
        "bindings": {"kafka": {"key": key_schema, "bindingVersion": KAFKA_BINDING_VERSION}},
        "examples": [
            {"name": f"{event_type_of(event)}-{index}", "payload": example}
            for index, example in enumerate(event.examples(), start=1)
        ],
    }


def _dead_letter_message() -> dict[str, Any]:
    """The dead-letter message: the original bytes, with where they came from and why."""
    return {
        "name": "dead_letter",
        "title": "DeadLetter",
        "summary": "The original message value, byte for byte; not an event envelope.",
        "contentType": "application/octet-stream",
        "headers": {
            "type": "object",
            "required": list(DEAD_LETTER_HEADERS),
            "properties": {
                name: {"type": "string", "description": _DEAD_LETTER_HEADER_MEANINGS[name]}
                for name in DEAD_LETTER_HEADERS
            },
        },
        "payload": {"description": "Any bytes: whatever the source topic held."},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The original message key, unchanged."},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }
