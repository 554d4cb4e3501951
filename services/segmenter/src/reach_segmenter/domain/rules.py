"""The segment rule language: conditions on portrait fields and on membership of other
segments, combined with all / any / not.

    {"all": [{"field": "trade_count", "op": "gte", "value": 1},
             {"field": "last_trade_at", "op": "within", "value": "1d"},
             {"not": {"segment": "sleeping 90 days"}}]}

Time-relative operators (`within`, `not_within`) compare a timestamp field with the clock,
so membership can change with no new event: those segments are swept as time moves.
The same parsed rule is evaluated here in Python (one portrait) and compiled to SQL by
`reach_segmenter.adapters.rule_sql` (every stored portrait); the two must agree.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)
from reach_contracts import Portrait

MAX_DEPTH = 6
MAX_NODES = 200
_DURATION = re.compile(r"^(\d{1,5})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
TIME_OPS = {"within", "not_within"}
ORDER_OPS = {"gt", "gte", "lt", "lte"}
RANGE_KINDS = {"number", "time", "date"}


def parse_duration(text: str) -> timedelta:
    """'30m', '12h', '90d', '2w' → timedelta."""
    match = _DURATION.fullmatch(text)
    if not match:
        raise ValueError(f"duration {text!r} must look like 30m, 12h, 90d or 2w")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def _base_type(annotation: Any) -> type:
    """The class under Optional[...] and Annotated[...]."""
    if isinstance(annotation, type):
        return annotation
    args = [a for a in get_args(annotation) if a is not type(None)]
    return _base_type(args[0]) if args else object


def field_kind(name: str) -> str:
    """number, time, date, bool, text, list or mapping: how a portrait field is compared."""
    annotation = Portrait.model_fields[name].annotation
    if get_origin(annotation) is list:
        return "list"
    if get_origin(annotation) is dict:
        return "mapping"
    kind = _base_type(annotation)
    if issubclass(kind, datetime) or kind.__name__ == "AwareDatetime":  # pydantic's is no subclass
        return "time"
    if issubclass(kind, date):
        return "date"
    if issubclass(kind, bool):
        return "bool"
    if issubclass(kind, int | float | Decimal):
        return "number"
    if issubclass(kind, list):
        return "list"
    if issubclass(kind, dict):
        return "mapping"
    return "text"


TIME_FIELDS = frozenset(f for f in Portrait.model_fields if field_kind(f) == "time")


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(max_length=64)
    op: Literal[
        "eq",
        "ne",
        "gt",
        "gte",
        "lt",
        "lte",
        "in",
        "between",
        "exists",
        "within",
        "not_within",
        "contains",
    ]
    value: Any = None

    @field_validator("field")
    @classmethod
    def _known_field(cls, name: str) -> str:
        if name not in Portrait.model_fields:
            raise ValueError(f"unknown portrait field {name!r}")
        return name

    @model_validator(mode="after")
    def _value_fits(self) -> Condition:
        """Refuse values that evaluation could not compare: an accepted rule must never raise."""
        kind = field_kind(self.field)
        collection = kind in ("list", "mapping")
        if self.op in TIME_OPS:
            if kind != "time":
                raise ValueError(f"{self.op} needs a timestamp field; {self.field} is not one")
            parse_duration(str(self.value))
        elif self.op == "exists":
            if not isinstance(self.value, bool):
                raise ValueError("exists needs true or false")
        elif collection or self.op == "contains":
            if self.op != "contains" or not collection:
                raise ValueError(
                    f"{self.field} takes exists or contains; contains needs a list field"
                )
            if not isinstance(self.value, str) or not 0 < len(self.value) <= 200:
                raise ValueError(f"contains on {self.field} needs text of 1 to 200 characters")
            _printable(self.value)
        elif self.op == "in":
            if not isinstance(self.value, list) or not 1 <= len(self.value) <= 100:
                raise ValueError("in needs a list of 1 to 100 values")
            for item in self.value:
                _readable_as(kind, item, self)
        elif self.op == "between":
            if kind not in RANGE_KINDS:
                raise ValueError(
                    f"between needs a number, timestamp or date field; {self.field} is not one"
                )
            if not isinstance(self.value, list) or len(self.value) != 2:
                raise ValueError("between needs a list of two values [lower, upper]")
            for item in self.value:
                _readable_as(kind, item, self)
            lower, upper = (typed_value(kind, v) for v in self.value)
            if lower > upper:
                raise ValueError(
                    f"between needs lower <= upper; {self.value[0]!r} > {self.value[1]!r}"
                )
        else:
            _readable_as(kind, self.value, self)
        return self


def _readable_as(kind: str, value: Any, c: Condition) -> None:
    """Raise ValueError unless `value` reads as the field's type."""
    where = f"{c.op} on {c.field}"
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"{where} needs a number")
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            raise ValueError(f"{where} needs a number, not {value!r}") from None
        if not number.is_finite():
            raise ValueError(f"{where} needs a finite number")
        digits = len(number.normalize().as_tuple().digits)
        if (number and not -30 <= number.adjusted() < 15) or digits > 15:
            # beyond this, SQL (doubles on SQLite, numeric on PostgreSQL) cannot agree with Python
            raise ValueError(f"{where} needs at most 15 significant digits, below 10^15")
    elif kind == "time":
        try:
            instant = datetime.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"{where} needs an ISO-8601 timestamp with offset") from None
        if instant.tzinfo is None:
            raise ValueError(f"{where} needs a timestamp with an offset, such as +08:00")
        if not 1900 <= instant.year <= 2200:
            raise ValueError(f"{where} needs a timestamp between the years 1900 and 2200")
    elif kind == "date":
        try:
            date.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"{where} needs an ISO-8601 date") from None
    elif kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{where} needs true or false")
    elif not isinstance(value, str) or len(value) > 200:
        raise ValueError(f"{where} needs text of at most 200 characters")
    else:
        _printable(value)


def _printable(text: str) -> None:
    if "\x00" in text:  # PostgreSQL text cannot hold it
        raise ValueError("text must not contain the NUL character")


def typed_value(kind: str, value: Any) -> Any:
    """A validated JSON value as the Python value it stands for."""
    if kind == "number":
        return Decimal(str(value))
    if kind == "time":
        return datetime.fromisoformat(str(value))
    if kind == "date":
        return date.fromisoformat(str(value))
    return value


class SegmentRef(BaseModel):
    """True while the client is a member of the named segment."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    segment: str = Field(min_length=1, max_length=200)

    @field_validator("segment")
    @classmethod
    def _no_nul(cls, name: str) -> str:
        _printable(name)
        return name


class AllOf(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    all: list[Rule] = Field(min_length=1, max_length=50)


class AnyOf(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    any: list[Rule] = Field(min_length=1, max_length=50)


class NotOf(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    not_: Rule = Field(alias="not")


def _rule_kind(data: Any) -> str:
    if isinstance(data, dict):
        for key in ("all", "any", "not"):
            if key in data:
                return key
        if "segment" in data:
            return "segment"
    elif isinstance(data, AllOf | AnyOf | NotOf | SegmentRef):
        return {AllOf: "all", AnyOf: "any", NotOf: "not", SegmentRef: "segment"}[type(data)]
    return "condition"


Rule = Annotated[
    Annotated[Condition, Tag("condition")]
    | Annotated[SegmentRef, Tag("segment")]
    | Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")],
    Discriminator(_rule_kind),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()


def children(rule: Rule) -> list[Rule]:
    if isinstance(rule, AllOf):
        return list(rule.all)
    if isinstance(rule, AnyOf):
        return list(rule.any)
    if isinstance(rule, NotOf):
        return [rule.not_]
    return []


def depth(rule: Rule) -> int:
    return 1 + max((depth(c) for c in children(rule)), default=0)


def size(rule: Rule) -> int:
    """The number of nodes in the rule."""
    return 1 + sum(size(c) for c in children(rule))


def fields_of(rule: Rule) -> frozenset[str]:
    """The portrait fields a rule reads: only a change to one of them can move its members."""
    if isinstance(rule, Condition):
        return frozenset({rule.field})
    return frozenset().union(*(fields_of(c) for c in children(rule)))


def segments_of(rule: Rule) -> frozenset[str]:
    """The names of the segments a rule refers to."""
    if isinstance(rule, SegmentRef):
        return frozenset({rule.segment})
    return frozenset().union(*(segments_of(c) for c in children(rule)))


def time_windows(rule: Rule) -> frozenset[tuple[str, timedelta]]:
    """(field, duration) of every within / not_within condition in the rule."""
    if isinstance(rule, Condition):
        return frozenset({(rule.field, parse_duration(rule.value))} if rule.op in TIME_OPS else ())
    return frozenset().union(*(time_windows(c) for c in children(rule)))


def is_time_relative(rule: Rule) -> bool:
    """True when membership can change with the clock alone."""
    if isinstance(rule, Condition):
        return rule.op in TIME_OPS
    return any(is_time_relative(c) for c in children(rule))


def matches(
    rule: Rule, portrait: Portrait, now: datetime, member_of: Collection[str] = frozenset()
) -> bool:
    """Whether the portrait satisfies the rule at `now`; `member_of` names the segments the
    client is a member of."""
    if isinstance(rule, AllOf):
        return all(matches(r, portrait, now, member_of) for r in rule.all)
    if isinstance(rule, AnyOf):
        return any(matches(r, portrait, now, member_of) for r in rule.any)
    if isinstance(rule, NotOf):
        return not matches(rule.not_, portrait, now, member_of)
    if isinstance(rule, SegmentRef):
        return rule.segment in member_of
    return _condition(rule, getattr(portrait, rule.field), now)


def _condition(c: Condition, actual: Any, now: datetime) -> bool:
    if c.op == "exists":
        return (actual is not None) == c.value
    if c.op == "contains":
        return actual is not None and c.value in actual
    if c.op == "within":
        return actual is not None and actual >= now - parse_duration(c.value)
    if c.op == "not_within":
        return actual is None or actual < now - parse_duration(c.value)
    if actual is None:
        return c.op == "ne" and c.value is not None
    if isinstance(actual, float):
        actual = Decimal(repr(actual))  # the number as written, as SQL reads it
    if c.op == "in":
        return actual in [_coerce(v, actual) for v in c.value]
    if c.op == "between":
        lower, upper = (_coerce(v, actual) for v in c.value)
        return lower <= actual <= upper
    expected = _coerce(c.value, actual)
    return {
        "eq": lambda: actual == expected,
        "ne": lambda: actual != expected,
        "gt": lambda: actual > expected,
        "gte": lambda: actual >= expected,
        "lt": lambda: actual < expected,
        "lte": lambda: actual <= expected,
    }[c.op]()


def _coerce(value: Any, like: Any) -> Any:
    """The rule's JSON value in the type of the portrait's field."""
    if isinstance(like, bool):
        return bool(value)
    if isinstance(like, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value))
    if isinstance(like, datetime):
        return datetime.fromisoformat(str(value))
    if isinstance(like, date):
        return date.fromisoformat(str(value))
    return str(value) if not isinstance(value, str) else value
