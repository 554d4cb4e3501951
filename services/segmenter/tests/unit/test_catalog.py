"""The evaluation plan: only segments reading a changed field are evaluated, segments referring
to other segments follow them in dependency order, and cycles are refused."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from reach_contracts import Portrait
from reach_segmenter.domain.catalog import Catalog, CycleError, SegmentDef
from reach_segmenter.domain.segment import parse_rule

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def seg(name: str, rule: dict[str, Any]) -> SegmentDef:
    return SegmentDef(id=f"id-{name}", name=name, version=1, rule=parse_rule(rule))


def cond(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


VALID = seg("valid", cond("total_assets", "gte", 10_000))
ACTIVE = seg("active", cond("trades_30d", "gte", 1))
CORE = seg("core", {"all": [{"segment": "valid"}, {"segment": "active"}]})
NOT_CORE_RICH = seg(
    "rich-not-core", {"all": [cond("cash", "gte", 1), {"not": {"segment": "core"}}]}
)
OTHERS = [seg(f"logins-{n}", cond("login_count", "gte", n)) for n in range(200)]


def portrait(**fields: Any) -> Portrait:
    return Portrait(version=1, as_of=NOW, **fields)


def test_a_change_is_evaluated_only_against_the_segments_reading_the_changed_field() -> None:
    catalog = Catalog(1, [VALID, ACTIVE, CORE, *OTHERS])
    assert catalog.reading({"total_assets"}) == {VALID.id}
    assert catalog.reading({"trades_30d", "risk_level"}) == {ACTIVE.id}
    assert len(catalog.reading({"login_count"})) == 200
    assert catalog.reading(set()) == set()
    assert len(catalog.reading(None)) == 203  # a first portrait: every segment


def test_a_client_becoming_valid_while_active_enters_valid_then_core_in_that_order() -> None:
    catalog = Catalog(1, [CORE, NOT_CORE_RICH, VALID, ACTIVE])
    rich = portrait(total_assets=Decimal(50_000), trades_30d=2, cash=Decimal(5))
    moves = catalog.moves(
        rich, NOW, member_of={ACTIVE.id, NOT_CORE_RICH.id}, changed={"total_assets"}
    )
    assert [(s.name, entered) for s, entered in moves] == [
        ("valid", True),
        ("core", True),
        ("rich-not-core", False),
    ]


def test_a_change_that_moves_nothing_cascades_nowhere() -> None:
    catalog = Catalog(1, [CORE, VALID, ACTIVE])
    poor = portrait(total_assets=Decimal(5), trades_30d=2)
    assert catalog.moves(poor, NOW, member_of={ACTIVE.id}, changed={"total_assets"}) == []


def test_downstream_lists_every_dependent_after_the_segments_it_refers_to() -> None:
    catalog = Catalog(1, [NOT_CORE_RICH, CORE, VALID, ACTIVE])
    assert [s.name for s in catalog.downstream(VALID)] == ["core", "rich-not-core"]
    assert catalog.downstream(NOT_CORE_RICH) == []


@pytest.mark.parametrize(
    ("segments", "cycle"),
    [
        ([seg("a", {"segment": "a"})], "a -> a"),
        ([seg("a", {"segment": "b"}), seg("b", {"not": {"segment": "a"}})], "a -> b -> a"),
    ],
)
def test_segments_referring_to_each_other_in_a_cycle_are_refused(
    segments: list[SegmentDef], cycle: str
) -> None:
    with pytest.raises(CycleError, match=cycle):
        Catalog(1, segments)
