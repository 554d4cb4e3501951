"""Evaluating segment rules against a portrait: operators, coercion of JSON values, time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from reach_contracts import Portrait
from reach_segmenter.domain.rules import is_time_relative, matches, parse_duration
from reach_segmenter.domain.segment import parse_rule

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))


def portrait(**fields: Any) -> Portrait:
    return Portrait(version=1, as_of=NOW, **fields)


def check(rule: dict[str, Any], p: Portrait, now: datetime = NOW) -> bool:
    return matches(parse_rule(rule), p, now)


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("eq", 3, True),
        ("eq", 4, False),
        ("ne", 3, False),
        ("ne", 4, True),
        ("gt", 2, True),
        ("gt", 3, False),
        ("gte", 3, True),
        ("gte", 4, False),
        ("lt", 4, True),
        ("lt", 3, False),
        ("lte", 3, True),
        ("lte", 2, False),
    ],
)
def test_each_comparison_operator_compares_a_number_field_with_the_value(
    op: str, value: Any, expected: bool
) -> None:
    assert check(cond("trade_count", op, value), portrait(trade_count=3)) is expected


def test_json_numbers_and_decimal_strings_are_compared_as_decimals_with_money() -> None:
    rich = portrait(total_assets=Decimal("10000.10"))
    assert check(cond("total_assets", "gt", "10000.05"), rich)
    assert check(cond("total_assets", "gt", 10000), rich)
    assert check(cond("total_assets", "eq", 10000.1), rich)
    assert not check(cond("total_assets", "gte", 10000.2), rich)


def test_a_timestamp_value_with_any_offset_is_compared_as_the_same_instant() -> None:
    p = portrait(last_trade_at=datetime(2026, 11, 23, 1, 31, tzinfo=UTC))
    assert check(cond("last_trade_at", "eq", "2026-11-23T09:31:00+08:00"), p)
    assert check(cond("last_trade_at", "gt", "2026-11-23T09:30:59+08:00"), p)
    assert check(cond("last_trade_at", "lt", "2026-11-23T01:31:01Z"), p)


def test_a_date_field_is_compared_with_an_iso_date() -> None:
    p = portrait(opened_on=date(2026, 11, 2))
    assert check(cond("opened_on", "gte", "2026-11-01"), p)
    assert not check(cond("opened_on", "gte", "2026-11-03"), p)


def test_in_matches_a_number_field_equal_to_one_of_the_listed_values() -> None:
    assert check(cond("trade_count", "in", [1, "3"]), portrait(trade_count=3))
    assert not check(cond("trade_count", "in", [1, 2]), portrait(trade_count=3))


def test_in_matches_a_date_field_equal_to_one_of_the_listed_dates() -> None:
    p = portrait(opened_on=date(2026, 11, 2))
    assert check(cond("opened_on", "in", ["2026-11-02", "2026-11-09"]), p)
    assert not check(cond("opened_on", "in", ["2026-11-09"]), p)


def test_text_fields_are_compared_as_strings_and_enums_by_their_value() -> None:
    p = portrait(risk_level="C4", advisor_id="ADV0217")
    assert check(cond("risk_level", "in", ["C4", "C5"]), p)
    assert check(cond("risk_level", "gte", "C3"), p)
    assert not check(cond("risk_level", "eq", "C3"), p)
    assert check(cond("advisor_id", "eq", "ADV0217"), p)


def test_a_missing_value_is_unequal_to_everything_and_matches_no_comparison() -> None:
    unknown = portrait()  # no risk level, no assets
    assert not check(cond("risk_level", "eq", "C4"), unknown)
    assert check(cond("risk_level", "ne", "C4"), unknown)
    assert not check(cond("total_assets", "lt", 1), unknown)
    assert not check(cond("total_assets", "gte", 0), unknown)
    assert not check(cond("risk_level", "in", ["C1", "C4"]), unknown)


def test_exists_tells_a_set_field_from_a_missing_one() -> None:
    assert check(cond("advisor_id", "exists", True), portrait(advisor_id="ADV1"))
    assert not check(cond("advisor_id", "exists", True), portrait())
    assert check(cond("advisor_id", "exists", False), portrait())


def test_within_matches_up_to_and_including_the_edge_of_the_window() -> None:
    rule = cond("last_trade_at", "within", "1d")
    assert check(rule, portrait(last_trade_at=NOW - timedelta(days=1)))
    assert not check(rule, portrait(last_trade_at=NOW - timedelta(days=1, microseconds=1)))
    assert not check(rule, portrait())


def test_a_rule_on_no_login_for_90_days_matches_a_client_who_never_logged_in() -> None:
    rule = cond("last_login_at", "not_within", "90d")
    assert check(rule, portrait())
    assert check(rule, portrait(last_login_at=NOW - timedelta(days=91)))
    assert not check(rule, portrait(last_login_at=NOW - timedelta(days=1)))


def test_the_same_portrait_leaves_a_time_window_as_the_clock_moves_on() -> None:
    p = portrait(last_login_at=datetime(2026, 11, 23, 8, 0, tzinfo=BEIJING))
    rule = cond("last_login_at", "within", "12h")
    assert check(rule, p, now=NOW)
    assert not check(rule, p, now=NOW + timedelta(hours=12))


def test_all_any_and_not_combine_conditions() -> None:
    p = portrait(trade_count=2, risk_level="C2")
    traded, cautious, bold = (
        cond("trade_count", "gte", 1),
        cond("risk_level", "eq", "C2"),
        cond("risk_level", "eq", "C5"),
    )
    assert check({"all": [traded, cautious]}, p)
    assert not check({"all": [traded, bold]}, p)
    assert check({"any": [bold, cautious]}, p)
    assert not check({"any": [bold]}, p)
    assert check({"not": bold}, p)
    assert not check({"not": {"any": [bold, traded]}}, p)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        ("90d", timedelta(days=90)),
        ("2w", timedelta(weeks=2)),
    ],
)
def test_durations_are_read_in_minutes_hours_days_or_weeks(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["90", "d", "90 d", "1.5d", "-1d", "90D", "3y", "123456d", ""])
def test_durations_in_any_other_form_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (cond("last_trade_at", "within", "1d"), True),
        (cond("last_login_at", "not_within", "90d"), True),
        (
            {"not": {"any": [cond("trade_count", "gt", 1), cond("last_trade_at", "within", "1d")]}},
            True,
        ),
        (cond("last_trade_at", "gt", "2026-11-01T00:00:00Z"), False),
        (cond("last_trade_at", "exists", True), False),
        ({"all": [cond("trade_count", "gt", 1), {"not": cond("risk_level", "eq", "C1")}]}, False),
    ],
)
def test_only_rules_with_a_window_on_the_clock_are_time_relative(
    rule: dict[str, Any], expected: bool
) -> None:
    assert is_time_relative(parse_rule(rule)) is expected


@pytest.mark.parametrize(
    ("assets", "expected"),
    [
        ("399999.99", False),
        ("400000", True),
        ("450000.5", True),
        ("500000.00", True),
        ("500000.01", False),
    ],
)
def test_between_includes_both_ends(assets: str, expected: bool) -> None:
    rule = cond("total_assets", "between", [400000, "500000"])
    assert check(rule, portrait(total_assets=Decimal(assets))) is expected


def test_between_compares_timestamps_as_instants_and_dates_as_days() -> None:
    p = portrait(
        last_trade_at=datetime(2026, 11, 23, 1, 0, tzinfo=UTC), opened_on=date(2026, 11, 2)
    )
    assert check(
        cond("last_trade_at", "between", ["2026-11-23T09:00:00+08:00", "2026-11-23T01:00:00Z"]), p
    )
    assert not check(
        cond("last_trade_at", "between", ["2026-11-23T09:00:01+08:00", "2026-11-24T00:00:00Z"]), p
    )
    assert check(cond("opened_on", "between", ["2026-11-01", "2026-11-02"]), p)
    assert not check(cond("total_assets", "between", [0, 1]), p)  # no assets known


def test_a_segment_condition_is_true_while_the_client_is_a_member_of_that_segment() -> None:
    rule = parse_rule({"all": [{"segment": "valid"}, {"not": {"segment": "sleeping"}}]})
    assert matches(rule, portrait(), NOW, {"valid"})
    assert not matches(rule, portrait(), NOW, {"valid", "sleeping"})
    assert not matches(rule, portrait(), NOW)


def test_a_float_field_compares_as_the_number_written_not_its_binary_neighbour() -> None:
    p = portrait(drawdown_90d=0.3)
    assert check(cond("drawdown_90d", "eq", 0.3), p)
    assert check(cond("drawdown_90d", "gte", "0.30"), p)
    assert not check(cond("drawdown_90d", "gt", "0.3"), p)
