"""Properties of rule evaluation over random portraits and random valid rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from reach_contracts import Portrait
from reach_contracts.enums import RiskLevel
from reach_segmenter.domain.rules import MAX_DEPTH, AllOf, AnyOf, NotOf, Rule, depth, matches
from reach_segmenter.domain.segment import parse_rule, rule_json

BEIJING = timezone(timedelta(hours=8))
NUMBERS = [
    "version",
    "trade_count",
    "login_count",
    "trade_amount_total",
    "total_assets",
    "cash",
    "net_inflow_total",
]
TIMES = ["as_of", "last_trade_at", "last_login_at"]
TEXTS = ["risk_level", "advisor_id", "lifecycle_stage"]
WORDS = [*(r.value for r in RiskLevel), "ADV1", "ADV2", "opened", "active"]
ORDER = ["eq", "ne", "gt", "gte", "lt", "lte"]

instants = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2027, 1, 1),
    timezones=st.sampled_from([UTC, BEIJING]),
)
money = st.decimals(min_value=0, max_value=10**7, places=2)
maybe = st.none().__or__


def _cond(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


durations = st.builds(lambda n, u: f"{n}{u}", st.integers(0, 9999), st.sampled_from("mhdw"))


def compared(fields: list[str], values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict]:
    """Conditions comparing one of `fields` with a value, or with a list of them (`in`)."""
    return st.one_of(
        st.builds(_cond, st.sampled_from(fields), st.sampled_from(ORDER), values),
        st.builds(
            _cond, st.sampled_from(fields), st.just("in"), st.lists(values, min_size=1, max_size=5)
        ),
    )


conditions = st.one_of(
    compared(NUMBERS, st.integers(-10, 10**6) | money.map(str)),
    compared(TIMES, instants.map(datetime.isoformat)),
    compared(["opened_on"], st.dates().map(str)),
    compared(TEXTS, st.sampled_from(WORDS)),
    st.builds(_cond, st.sampled_from(TIMES), st.sampled_from(["within", "not_within"]), durations),
    st.builds(
        _cond,
        st.sampled_from(NUMBERS + TIMES + TEXTS + ["opened_on"]),
        st.just("exists"),
        st.booleans(),
    ),
).map(parse_rule)

rules: st.SearchStrategy[Rule] = st.recursive(
    conditions,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda rs: AllOf(all=rs)),
        st.lists(inner, min_size=1, max_size=3).map(lambda rs: AnyOf(any=rs)),
        inner.map(lambda r: NotOf(not_=r)),
    ),
    max_leaves=8,
).filter(lambda r: depth(r) < MAX_DEPTH)

portraits = st.builds(
    Portrait,
    version=st.integers(1, 1000),
    as_of=instants,
    trade_count=st.integers(0, 100),
    trade_amount_total=money,
    last_trade_at=maybe(instants),
    login_count=st.integers(0, 100),
    last_login_at=maybe(instants),
    total_assets=maybe(money),
    cash=maybe(money),
    net_inflow_total=st.decimals(min_value=-(10**7), max_value=10**7, places=2),
    risk_level=maybe(st.sampled_from(RiskLevel)),
    advisor_id=maybe(st.sampled_from(["ADV1", "ADV2"])),
    opened_on=maybe(st.dates()),
    lifecycle_stage=maybe(st.sampled_from(["opened", "active", "closed"])),
)


@given(rule=rules, portrait=portraits, now=instants)
def test_not_of_a_rule_matches_exactly_the_portraits_the_rule_does_not(
    rule: Rule, portrait: Portrait, now: datetime
) -> None:
    assert matches(NotOf(not_=rule), portrait, now) is (not matches(rule, portrait, now))


@given(rule=rules, portrait=portraits, now=instants)
def test_combining_a_rule_with_itself_changes_nothing(
    rule: Rule, portrait: Portrait, now: datetime
) -> None:
    alone = matches(rule, portrait, now)
    assert matches(AllOf(all=[rule, rule]), portrait, now) is alone
    assert matches(AnyOf(any=[rule, rule]), portrait, now) is alone


@given(rule=rules, portrait=portraits, now=instants)
def test_a_rule_read_back_from_its_json_form_decides_the_same(
    rule: Rule, portrait: Portrait, now: datetime
) -> None:
    again = parse_rule(rule_json(rule))
    assert again == rule
    assert matches(again, portrait, now) is matches(rule, portrait, now)


@given(field=st.sampled_from(TIMES), window=durations, portrait=portraits, now=instants)
def test_within_and_not_within_the_same_window_split_every_portrait_in_two(
    field: str, window: str, portrait: Portrait, now: datetime
) -> None:
    inside = matches(parse_rule(_cond(field, "within", window)), portrait, now)
    outside = matches(parse_rule(_cond(field, "not_within", window)), portrait, now)
    assert inside is not outside
