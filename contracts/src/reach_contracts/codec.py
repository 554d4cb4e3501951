"""Bytes on a topic to validated events and back."""

import json
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from functools import cache, reduce
from operator import or_
from typing import Annotated, Any, NoReturn

from pydantic import Field, TypeAdapter, ValidationError

from reach_contracts.envelope import Event, event_type_of
from reach_contracts.errors import ContractError, UnknownEventType, quoted
from reach_contracts.topics import DEAD_LETTER_TOPIC, TOPICS

MAX_MESSAGE_BYTES = 1024 * 1024
_MAX_REPORTED_ERRORS = 3


def decode(topic: str, value: bytes) -> Event:
    """Parse and validate one message from a topic; ContractError says why it is not an event."""
    if topic not in TOPICS:
        if topic == DEAD_LETTER_TOPIC:
            raise ContractError(f"topic {topic!r} carries raw dead letters, not events")
        raise ContractError(f"unknown topic {quoted(topic)}")
    if len(value) > MAX_MESSAGE_BYTES:
        raise ContractError(f"message is {len(value)} bytes, over the 1 MiB limit")
    document = _parse_json(value)
    if not isinstance(document, dict):
        raise ContractError(f"not a JSON object but {_json_kind(document)}")
    if "event_type" not in document:
        raise ContractError("event_type: Field required")
    event_type = document["event_type"]
    if not isinstance(event_type, str):
        raise ContractError("event_type: Input should be a valid string")
    if event_type not in _event_types(topic):
        raise UnknownEventType(f"unknown event_type {quoted(event_type)} on topic {topic!r}")
    try:
        return _adapter(topic).validate_python(document)
    except ValidationError as error:
        raise ContractError(_describe(error, strip_tag=len(TOPICS[topic].events) > 1)) from None


def encode(event: Event) -> bytes:
    """Serialise an event as compact UTF-8 JSON (money as decimal strings)."""
    return event.model_dump_json().encode()


_CLIENT_MARK, _EVENT_MARK = b"reach-template-client", b"reach-template-event"
_MARKS = re.compile(b"(" + _CLIENT_MARK + b"|" + _EVENT_MARK + b")")
_PLAIN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # needs no JSON escaping


def encode_each(event: Event, ids: Iterable[tuple[str, str]]) -> Iterator[tuple[str, bytes]]:
    """(client id, `encode` of `event` with that client id and event id) for each pair of
    `ids`: for many events that differ only there, such as a back-fill page's entries. The
    JSON is written once and the ids put in; both must be plain (letters, digits, _ and -, as
    client ids and derived event ids are), else that event is built and encoded in full."""
    marked = event.model_copy(
        update={"client_id": _CLIENT_MARK.decode(), "event_id": _EVENT_MARK.decode()}
    )
    pieces = _MARKS.split(encode(marked))  # text, mark, text, mark, text
    usable = sorted(pieces[1::2]) == sorted((_CLIENT_MARK, _EVENT_MARK))
    head, first, middle, _, tail = pieces if usable else (b"",) * 5
    client_first = first == _CLIENT_MARK
    for client_id, event_id in ids:
        if usable and _PLAIN_ID.fullmatch(client_id) and _PLAIN_ID.fullmatch(event_id):
            a, b = (client_id, event_id) if client_first else (event_id, client_id)
            yield client_id, head + a.encode() + middle + b.encode() + tail
        else:
            fields = event.model_dump() | {"client_id": client_id, "event_id": event_id}
            yield client_id, encode(type(event).model_validate(fields))


def event_class(event_type: str) -> type[Event]:
    """Return the class of an event type on any topic; ContractError if there is none."""
    try:
        return _classes_by_event_type()[event_type]
    except KeyError:
        raise UnknownEventType(f"unknown event_type {quoted(event_type)}") from None


def _parse_json(value: bytes) -> Any:
    """Decode UTF-8 JSON, keeping fractional numbers exact and refusing NaN and Infinity."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        raise ContractError("not UTF-8") from None
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise ContractError(
            f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise ContractError("not valid JSON: nested too deeply") from None


def _refuse_constant(name: str) -> NoReturn:
    """Reject the NaN and Infinity literals Python's json accepts but JSON does not have."""
    raise ContractError(f"not valid JSON: {name} is not a JSON number")


def _json_kind(document: Any) -> str:
    """Name the JSON type of a parsed value, for error reasons."""
    kinds = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(document), "a number")


@cache
def _classes_by_event_type() -> dict[str, type[Event]]:
    """Every event class of every topic, by its event_type."""
    return {event_type_of(event): event for topic in TOPICS.values() for event in topic.events}


@cache
def _event_types(topic: str) -> frozenset[str]:
    """Event types allowed on a topic."""
    return frozenset(event_type_of(event) for event in TOPICS[topic].events)


@cache
def _adapter(topic: str) -> TypeAdapter[Event]:
    """Validator of a topic's events, a union discriminated on event_type."""
    events = TOPICS[topic].events
    if len(events) == 1:
        return TypeAdapter(events[0])
    union: Any = reduce(or_, events)
    return TypeAdapter(Annotated[union, Field(discriminator="event_type")])


def _describe(error: ValidationError, *, strip_tag: bool) -> str:
    """Summarise validation errors as 'field.path: message; …' without echoing input values."""
    parts = []
    for detail in error.errors(include_url=False, include_input=False):
        location = detail["loc"][1:] if strip_tag else detail["loc"]
        path = ".".join(str(part) for part in location)
        parts.append(f"{path}: {detail['msg']}" if path else detail["msg"])
    reason = "; ".join(parts[:_MAX_REPORTED_ERRORS])
    if len(parts) > _MAX_REPORTED_ERRORS:
        reason += f" (and {len(parts) - _MAX_REPORTED_ERRORS} more)"
    return reason
