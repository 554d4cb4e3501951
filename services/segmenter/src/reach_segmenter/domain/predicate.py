"""A rule compiled once into a Python closure, for the consumer's per-change evaluation.

Values are read as the field's type when the rule is compiled, not on every call; the result
must equal `rules.matches` (property-tested), which stays the readable definition.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection
from datetime import datetime
from decimal import Decimal
from typing import Any

from reach_contracts import Portrait

from reach_segmenter.domain.rules import (
    AllOf,
    AnyOf,
    Condition,
    NotOf,
    Rule,
    SegmentRef,
    field_kind,
    parse_duration,
    typed_value,
)

Predicate = Callable[[Portrait, datetime, Collection[str]], bool]
_COMPARE = {
    "eq": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def compile_rule(rule: Rule) -> Predicate:
    """predicate(portrait, now, names of the segments the client is in) -> bool."""
    if isinstance(rule, AllOf):
        parts = [compile_rule(r) for r in rule.all]
        return lambda p, now, m: all(f(p, now, m) for f in parts)
    if isinstance(rule, AnyOf):
        parts = [compile_rule(r) for r in rule.any]
        return lambda p, now, m: any(f(p, now, m) for f in parts)
    if isinstance(rule, NotOf):
        inner = compile_rule(rule.not_)
        return lambda p, now, m: not inner(p, now, m)
    if isinstance(rule, SegmentRef):
        name = rule.segment
        return lambda _p, _now, m: name in m
    return _condition(rule)


def _read(actual: Any) -> Any:
    return Decimal(repr(actual)) if type(actual) is float else actual


def _condition(c: Condition) -> Predicate:
    get = operator.attrgetter(c.field)
    kind = field_kind(c.field)
    if c.op == "exists":
        wanted = bool(c.value)
        return lambda p, _now, _m: (get(p) is not None) == wanted
    if c.op == "contains":
        item = c.value
        return lambda p, _now, _m: (a := get(p)) is not None and item in a
    if c.op in ("within", "not_within"):
        window = parse_duration(c.value)
        if c.op == "within":
            return lambda p, now, _m: (a := get(p)) is not None and a >= now - window
        return lambda p, now, _m: (a := get(p)) is None or a < now - window
    if c.op == "in":
        values = tuple(typed_value(kind, v) for v in c.value)
        return lambda p, _now, _m: (a := get(p)) is not None and _read(a) in values
    if c.op == "between":
        lower, upper = (typed_value(kind, v) for v in c.value)
        return lambda p, _now, _m: (a := get(p)) is not None and lower <= _read(a) <= upper
    expected = typed_value(kind, c.value)
    if c.op == "ne":
        return lambda p, _now, _m: (a := get(p)) is None or _read(a) != expected
    compare = _COMPARE[c.op]
    return lambda p, _now, _m: (a := get(p)) is not None and compare(_read(a), expected)
