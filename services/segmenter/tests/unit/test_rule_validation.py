"""Parsing segment rules: what is refused, and why, before a rule can reach evaluation."""

from __future__ import annotations

from typing import Any

import pytest
from reach_segmenter.domain.rules import MAX_DEPTH, AllOf, Condition, NotOf
from reach_segmenter.domain.segment import parse_rule, rule_json


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


def nested_in_nots(levels: int) -> dict[str, Any]:
    rule: dict[str, Any] = cond("trade_count", "gte", 1)
    for _ in range(levels - 1):
        rule = {"not": rule}
    return rule


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        (cond("favourite_colour", "eq", "red"), "unknown portrait field"),
        (cond("trade_count", "within", "1d"), "needs a timestamp field"),
        (cond("opened_on", "not_within", "30d"), "needs a timestamp field"),
        (cond("last_login_at", "not_within", "90 days"), "duration"),
        (cond("last_login_at", "within", 90), "duration"),
        (cond("last_login_at", "within"), "duration"),
        (cond("risk_level", "in", []), "list of 1 to 100"),
        (cond("risk_level", "in", "C4"), "list of 1 to 100"),
        (cond("trade_count", "in", list(range(101))), "list of 1 to 100"),
        (cond("advisor_id", "exists", "yes"), "exists needs true or false"),
        (cond("trade_count", "gt", True), "needs a number"),
        (cond("trade_count", "gt", [1]), "needs a number"),
        (cond("trade_count", "like", 1), "op"),
        ({**cond("trade_count", "gt", 1), "unit": "lots"}, "unit"),
        ({"all": []}, "all"),
        (cond("total_assets", "between", [500, 400]), "lower <= upper"),
        (cond("total_assets", "between", [400]), "two values"),
        (cond("total_assets", "between", 400), "two values"),
        (cond("risk_level", "between", ["C1", "C3"]), "number, timestamp or date"),
        (cond("last_trade_at", "between", ["2026-11-23T00:00:00Z", "soon"]), "timestamp"),
        ({"segment": ""}, "at least 1"),
        ({"segment": "valid", "op": "eq"}, "op"),
        ({"any": [cond("trade_count", "gt", 1)], "extra": 1}, "extra"),
    ],
)
def test_an_invalid_rule_is_refused_with_the_reason(rule: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_rule(rule)


def test_a_rule_nested_as_deep_as_allowed_is_accepted_and_one_level_more_is_refused() -> None:
    assert isinstance(parse_rule(nested_in_nots(MAX_DEPTH)), NotOf)
    with pytest.raises(ValueError, match=f"nested {MAX_DEPTH + 1} deep"):
        parse_rule(nested_in_nots(MAX_DEPTH + 1))


def test_an_order_comparison_of_a_number_field_with_a_word_is_refused_as_invalid() -> None:
    # A ValueError is what the API maps to 422; anything else becomes a 500.
    with pytest.raises(ValueError):
        parse_rule(cond("trade_count", "gt", "many"))


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param(cond("trade_count", "eq", "abc"), id="word-for-number"),
        pytest.param(cond("trade_count", "gt", "NaN"), id="nan-for-number"),
        pytest.param(cond("trade_count", "in", [1, "x"]), id="word-in-number-list"),
        pytest.param(cond("last_trade_at", "gt", "yesterday"), id="word-for-timestamp"),
        # No offset: a naive instant cannot be compared with the portrait's aware one.
        pytest.param(cond("last_trade_at", "gt", "2026-11-23T09:31:00"), id="naive-timestamp"),
        pytest.param(cond("opened_on", "eq", "the second of November"), id="word-for-date"),
        pytest.param(cond("trade_count", "lt", "Infinity"), id="infinite-number"),
        pytest.param(cond("risk_level", "eq", 4), id="number-for-text"),
        pytest.param(cond("total_assets", "gt", "1e999999"), id="huge-number"),
        pytest.param(cond("advisor_id", "eq", "A\x00"), id="nul-in-text"),
        pytest.param(cond("content_interests", "contains", "\x00"), id="nul-in-contains"),
        pytest.param({"segment": "va\x00lid"}, id="nul-in-segment-name"),
        pytest.param(cond("advisor_id", "eq", "A" * 201), id="long-text"),
        pytest.param(cond("total_assets", "lt", "1e-400"), id="tiny-number"),
        pytest.param(cond("total_assets", "eq", "1234567890.1234567"), id="17-digits"),
        pytest.param(cond("last_trade_at", "gt", "0001-01-01T00:00:00+14:00"), id="year-1"),
        pytest.param(cond("opened_on", "in", ["2026-11-02", "soon"]), id="word-in-date-list"),
    ],
)
def test_a_value_that_cannot_be_read_as_the_fields_type_is_refused_when_the_rule_is_parsed(
    rule: dict[str, Any],
) -> None:
    # Accepted rules are evaluated against every portrait; one that raises there poisons the stream.
    with pytest.raises(ValueError):
        parse_rule(rule)


def test_a_rule_with_too_many_nodes_is_refused() -> None:
    wide = {"any": [{"all": [cond("trade_count", "gte", n)] * 50} for n in range(5)]}
    with pytest.raises(ValueError, match="nodes; at most 200"):
        parse_rule(wide)


def test_a_parsed_rule_survives_a_round_trip_through_its_json_form() -> None:
    data = {
        "all": [
            {"not": cond("risk_level", "in", ["C1", "C2"])},
            {"segment": "valid"},
            cond("total_assets", "between", [400000, "500000.00"]),
            {
                "any": [
                    cond("last_trade_at", "within", "7d"),
                    cond("total_assets", "gte", "50000.00"),
                ]
            },
        ]
    }
    rule = parse_rule(data)
    assert rule_json(rule) == data
    assert parse_rule(rule_json(rule)) == rule


def test_rules_can_be_built_from_models_as_well_as_from_json() -> None:
    built = AllOf(all=[NotOf(not_=Condition(field="trade_count", op="eq", value=0))])
    assert built == parse_rule({"all": [{"not": cond("trade_count", "eq", 0)}]})
