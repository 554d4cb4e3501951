"""Properties: the rule compiled to SQL (on SQLite and PostgreSQL) and the rule compiled to a
Python closure select exactly the portraits `matches` accepts, for random valid rules, portraits
and memberships."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from reach_contracts import Portrait
from reach_contracts.enums import RiskLevel
from reach_runtime import migrations
from reach_runtime.db import create_engine
from reach_segmenter.adapters.rule_sql import portrait_json, rule_clause
from reach_segmenter.bootstrap import bootstrap
from reach_segmenter.db.tables import MembershipRow, PortraitRow, SegmentRow
from reach_segmenter.domain.predicate import compile_rule
from reach_segmenter.domain.rules import MAX_DEPTH, AllOf, AnyOf, NotOf, Rule, depth, matches
from reach_segmenter.domain.segment import parse_rule
from reach_segmenter.settings import SegmenterSettings
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

BEIJING = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
INTS = ["version", "trade_count", "login_count", "trades_30d"]
MONEY = ["trade_amount_total", "total_assets", "cash", "net_inflow_total"]
FLOATS = ["drawdown_90d", "years_in_market", "herfindahl_index"]
TIMES = ["as_of", "last_trade_at", "last_login_at"]
BOOLS = ["margin_eligible", "lowest_category"]
TEXTS = ["risk_level", "advisor_id", "lifecycle_stage"]
WORDS = [*(r.value for r in RiskLevel), "ADV1", "adv1", "opened", "active", "Ä"]
ORDER = ["eq", "ne", "gt", "gte", "lt", "lte"]
SEGMENTS = {"alpha": "seg-alpha", "beta": "seg-beta"}

instants = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2027, 1, 1),
    timezones=st.sampled_from([UTC, BEIJING]),
)
money = st.decimals(min_value=0, max_value=10**7, places=2)
fractions = st.floats(min_value=0, max_value=1) | st.sampled_from([0.1, 0.25, 0.3, 0.5])
numbers = st.integers(-10, 10**6) | money.map(str) | st.sampled_from([0.1, 0.25, 0.3, "0.5"])
maybe = st.none().__or__


def _cond(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


def compared(fields: list[str], values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict]:
    fields_ = st.sampled_from(fields)
    return st.one_of(
        st.builds(_cond, fields_, st.sampled_from(ORDER), values),
        st.builds(_cond, fields_, st.just("in"), st.lists(values, min_size=1, max_size=4)),
    )


def between(fields: list[str], values: st.SearchStrategy[Any], key: Any) -> st.SearchStrategy[dict]:
    pairs = st.lists(values, min_size=2, max_size=2).map(lambda p: sorted(p, key=key))
    return st.builds(_cond, st.sampled_from(fields), st.just("between"), pairs)


durations = st.builds(lambda n, u: f"{n}{u}", st.integers(0, 9999), st.sampled_from("mhdw"))
conditions = st.one_of(
    compared(INTS + MONEY + FLOATS, numbers),
    between(INTS + MONEY + FLOATS, numbers, key=lambda v: float(v)),
    compared(TIMES, instants.map(datetime.isoformat)),
    between(TIMES, instants.map(datetime.isoformat), key=datetime.fromisoformat),
    compared(["opened_on"], st.dates().map(str)),
    between(["opened_on"], st.dates().map(str), key=str),
    compared(TEXTS, st.sampled_from(WORDS)),
    compared(BOOLS, st.booleans()),
    st.builds(_cond, st.sampled_from(TIMES), st.sampled_from(["within", "not_within"]), durations),
    st.builds(
        _cond,
        st.sampled_from(
            INTS + MONEY + FLOATS + TIMES + TEXTS + BOOLS + ["opened_on", "content_interests"]
        ),
        st.just("exists"),
        st.booleans(),
    ),
    st.builds(
        _cond,
        st.sampled_from(["content_interests", "instrument_mix"]),
        st.just("contains"),
        st.sampled_from(["fund", "stock", "0"]),
    ),
    st.sampled_from(list(SEGMENTS)).map(lambda name: {"segment": name}),
).map(parse_rule)

rules: st.SearchStrategy[Rule] = st.recursive(
    conditions,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda rs: AllOf(all=rs)),
        st.lists(inner, min_size=1, max_size=3).map(lambda rs: AnyOf(any=rs)),
        inner.map(lambda r: NotOf(not_=r)),
    ),
    max_leaves=8,
).filter(lambda r: depth(r) <= MAX_DEPTH)

portraits = st.builds(
    Portrait,
    version=st.integers(1, 1000),
    as_of=instants,
    trade_count=st.integers(0, 100),
    trades_30d=st.integers(0, 5),
    trade_amount_total=money,
    last_trade_at=maybe(instants),
    login_count=st.integers(0, 100),
    last_login_at=maybe(instants),
    total_assets=maybe(money),
    cash=maybe(money),
    net_inflow_total=st.decimals(min_value=-(10**7), max_value=10**7, places=2),
    drawdown_90d=maybe(fractions),
    years_in_market=maybe(st.floats(min_value=0, max_value=40)),
    herfindahl_index=maybe(fractions),
    margin_eligible=st.booleans(),
    lowest_category=maybe(st.booleans()),
    risk_level=maybe(st.sampled_from(RiskLevel)),
    advisor_id=maybe(st.sampled_from(["ADV1", "adv1", "Ä"])),
    opened_on=maybe(st.dates()),
    lifecycle_stage=maybe(st.sampled_from(["opened", "active", "closed"])),
    content_interests=st.lists(st.sampled_from(["fund", "stock", "bond"]), max_size=2),
    instrument_mix=st.dictionaries(st.sampled_from(["fund", "stock"]), fractions, max_size=2),
)
clients = st.tuples(portraits, st.frozensets(st.sampled_from(list(SEGMENTS))))
FLOAT_EDGE = parse_rule(_cond("drawdown_90d", "gte", "0.3"))  # 0.3 as a float is below 0.3
AT_THE_EDGE = Portrait(version=1, as_of=NOW, drawdown_90d=0.3)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    definition = bootstrap(SegmenterSettings(database_url=database_url))
    await asyncio.to_thread(
        migrations.upgrade, definition.migrations, definition.metadata, database_url
    )
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        for name, segment_id in SEGMENTS.items():
            await connection.execute(
                insert(SegmentRow).values(
                    id=segment_id,
                    name=name,
                    description="",
                    rule={},
                    time_relative=False,
                    created_at=NOW,
                )
            )
    yield engine
    await engine.dispose()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rule=rules, population=st.lists(clients, max_size=6), now=instants)
@example(rule=FLOAT_EDGE, population=[(AT_THE_EDGE, frozenset())], now=NOW)
async def test_the_sql_query_selects_exactly_the_clients_the_python_predicate_accepts(
    engine: AsyncEngine,
    rule: Rule,
    population: list[tuple[Portrait, frozenset[str]]],
    now: datetime,
) -> None:
    async with engine.begin() as connection:
        await connection.execute(delete(MembershipRow))
        await connection.execute(delete(PortraitRow))
        for n, (portrait, member_of) in enumerate(population):
            client_id = f"C{n}"
            await connection.execute(
                insert(PortraitRow).values(
                    client_id=client_id, version=1, fields=portrait_json(portrait)
                )
            )
            for name in member_of:
                await connection.execute(
                    insert(MembershipRow).values(
                        segment_id=SEGMENTS[name], client_id=client_id, entered_at=NOW
                    )
                )
        clause = rule_clause(rule, dialect=engine.dialect.name, now=now, segment_ids=SEGMENTS)
        selected = set(await connection.scalars(select(PortraitRow.client_id).where(clause)))
    expected = {
        f"C{n}"
        for n, (portrait, member_of) in enumerate(population)
        if matches(rule, portrait, now, member_of)
    }
    assert selected == expected


@settings(max_examples=500, deadline=None)
@given(rule=rules, client=clients, now=instants)
@example(rule=FLOAT_EDGE, client=(AT_THE_EDGE, frozenset()), now=NOW)
def test_the_compiled_predicate_decides_as_matches_does(
    rule: Rule, client: tuple[Portrait, frozenset[str]], now: datetime
) -> None:
    portrait, member_of = client
    assert compile_rule(rule)(portrait, now, member_of) is matches(rule, portrait, now, member_of)
