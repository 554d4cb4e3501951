"""Within a topic version, producers may add fields and choose number or string for money."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError
from reach_contracts import OutreachRequested, TradeExecuted, decode, encode

TRADES = "trading.trades.v1"


def test_unknown_envelope_and_payload_fields_are_ignored() -> None:
    message = TradeExecuted.examples()[0]
    message["trace_note"] = "added later"
    message["payload"]["settlement_date"] = "2026-11-24"

    event = decode(TRADES, json.dumps(message).encode())

    assert event == TradeExecuted.model_validate(TradeExecuted.examples()[0])
    assert b"settlement_date" not in encode(event)


def test_a_newer_schema_version_of_the_same_topic_is_accepted() -> None:
    message = TradeExecuted.examples()[0] | {"schema_version": 3}

    assert decode(TRADES, json.dumps(message).encode()).schema_version == 3


def test_money_may_be_sent_as_a_json_number_or_a_decimal_string_without_losing_precision() -> None:
    as_string = TradeExecuted.examples()[0]
    as_number = json.dumps(as_string).replace('"152350.00"', "152350.01").encode()

    from_string = decode(TRADES, json.dumps(as_string).encode())
    from_number = decode(TRADES, as_number)

    assert isinstance(from_string, TradeExecuted)
    assert isinstance(from_number, TradeExecuted)
    assert from_string.payload.amount == Decimal("152350.00")
    assert from_number.payload.amount == Decimal("152350.01")


def test_encode_writes_compact_utf8_json_with_money_as_strings_and_the_original_offset() -> None:
    event = OutreachRequested.model_validate(OutreachRequested.examples()[0])

    text = encode(event).decode("utf-8")

    assert ", " not in text and ": " not in text
    assert "首笔交易感谢" in text
    assert event.occurred_at.utcoffset() == timedelta(hours=8)
    assert '"occurred_at":"2026-11-24T10:00:00+08:00"' in text


def test_events_are_immutable() -> None:
    event = TradeExecuted.model_validate(TradeExecuted.examples()[0])

    with pytest.raises(ValidationError):
        event.client_id = "C99999999"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        event.payload.amount = Decimal(0)  # type: ignore[misc]


def test_event_type_has_a_default_so_services_build_events_without_repeating_it() -> None:
    message = TradeExecuted.examples()[0]
    del message["event_type"]

    assert TradeExecuted.model_validate(message).event_type == "trade.executed"
