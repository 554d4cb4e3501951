"""Messages that break the contract are refused with a reason that names the problem."""

import json
from typing import Any

import pytest
from reach_contracts import (
    DEAD_LETTER_TOPIC,
    MAX_MESSAGE_BYTES,
    AccountOpened,
    ContractError,
    TradeExecuted,
    decode,
)

TRADES = "trading.trades.v1"


def trade(**changes: Any) -> dict[str, Any]:
    """The documented trade example with top-level fields changed."""
    message = TradeExecuted.examples()[0]
    message.update(changes)
    return message


def trade_with_payload(**changes: Any) -> dict[str, Any]:
    """The documented trade example with payload fields changed."""
    message = TradeExecuted.examples()[0]
    message["payload"].update(changes)
    return message


def reason_for(value: bytes, topic: str = TRADES) -> str:
    """Decode a message expected to fail and return the reason."""
    with pytest.raises(ContractError) as raised:
        decode(topic, value)
    assert str(raised.value) == raised.value.reason
    return raised.value.reason


def as_bytes(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode()


def test_a_message_that_is_not_json_is_refused_as_not_valid_json() -> None:
    assert reason_for(b"not json") == "not valid JSON: Expecting value at line 1 column 1"


def test_a_json_value_that_is_not_an_object_is_refused() -> None:
    assert reason_for(b"[1, 2]") == "not a JSON object but an array"


def test_bytes_that_are_not_utf8_are_refused() -> None:
    assert reason_for(b"\xff\xfe{}") == "not UTF-8"


def test_nan_is_refused_because_json_has_no_such_number() -> None:
    assert "NaN" in reason_for(b'{"event_type": NaN}')


def test_an_event_type_the_topic_does_not_carry_is_refused_naming_type_and_topic() -> None:
    reason = reason_for(as_bytes(trade(event_type="login.succeeded")))

    assert reason == "unknown event_type 'login.succeeded' on topic 'trading.trades.v1'"


def test_a_message_without_event_type_is_refused_naming_the_field() -> None:
    message = trade()
    del message["event_type"]

    assert reason_for(as_bytes(message)) == "event_type: Field required"


def test_a_missing_envelope_field_is_named() -> None:
    message = trade()
    del message["client_id"]

    assert reason_for(as_bytes(message)) == "client_id: Field required"


def test_a_missing_payload_field_is_named_with_its_path() -> None:
    message = trade()
    del message["payload"]["symbol"]

    assert reason_for(as_bytes(message)) == "payload.symbol: Field required"


def test_an_individuals_account_needs_a_birth_year_and_an_institutions_does_not() -> None:
    opened = AccountOpened.examples()[0]
    del opened["payload"]["birth_year"]
    reason = reason_for(as_bytes(opened), "accounts.events.v1")
    assert reason == "payload: Value error, an individual's account needs birth_year"

    opened["payload"].update(client_kind="institution", gender=None)
    assert decode("accounts.events.v1", as_bytes(opened)).payload.birth_year is None


def test_a_naive_datetime_is_refused_because_it_has_no_offset() -> None:
    reason = reason_for(as_bytes(trade(occurred_at="2026-11-23T09:31:02")))

    assert reason == "occurred_at: Input should have timezone info"


def test_a_negative_amount_is_refused_naming_the_payload_field() -> None:
    reason = reason_for(as_bytes(trade_with_payload(amount="-1.00")))

    assert reason == "payload.amount: Input should be greater than or equal to 0"


def test_a_zero_quantity_is_refused() -> None:
    reason = reason_for(as_bytes(trade_with_payload(quantity=0)))

    assert reason == "payload.quantity: Input should be greater than 0"


def test_an_invalid_client_id_is_refused() -> None:
    assert reason_for(as_bytes(trade(client_id="C 123"))).startswith("client_id: String should")


def test_errors_on_a_multi_event_topic_are_named_without_the_union_tag() -> None:
    message = {
        "event_id": "acc-1",
        "event_type": "account.risk_assessed",
        "occurred_at": "2026-11-02T10:25:03+08:00",
        "client_id": "C00012345",
        "payload": {
            "risk_level": "C9",
            "lowest_category": False,
            "expires_on": "2029-11-01",
            "horizon": "medium",
            "professional": False,
        },
    }

    reason = reason_for(as_bytes(message), topic="accounts.events.v1")

    assert reason == "payload.risk_level: Input should be 'C1', 'C2', 'C3', 'C4' or 'C5'"


def test_many_errors_are_summarised_without_echoing_values() -> None:
    reason = reason_for(b'{"event_type": "trade.executed", "payload": {"symbol": "SECRET"}}')

    assert "(and " in reason
    assert "SECRET" not in reason


def test_an_unknown_topic_is_refused() -> None:
    assert (
        reason_for(as_bytes(trade()), topic="trading.nope.v1") == "unknown topic 'trading.nope.v1'"
    )


def test_the_dead_letter_topic_is_not_decoded_as_events() -> None:
    assert "dead letters" in reason_for(as_bytes(trade()), topic=DEAD_LETTER_TOPIC)


def test_a_message_over_one_mebibyte_is_refused_before_parsing() -> None:
    reason = reason_for(b" " * (MAX_MESSAGE_BYTES + 1))

    assert "over the 1 MiB limit" in reason


def test_contract_errors_are_value_errors() -> None:
    assert issubclass(ContractError, ValueError)


def test_a_birth_date_outside_the_birth_year_is_refused_naming_the_field() -> None:
    opened = AccountOpened.examples()[0]
    opened["payload"]["birth_date"] = "1987-04-17"
    reason = reason_for(as_bytes(opened), "accounts.events.v1")
    assert reason == "payload: Value error, birth_date must fall in birth_year"
