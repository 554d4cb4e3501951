"""The segment rule language: conditions on portrait fields, combined with all / any / not.

    {"all": [{"field": "trade_count", "op": "gte", "value": 1},
             {"field": "last_trade_at", "op": "within", "value": "1d"}]}

Time-relative operators (`within`, `not_within`) compare a timestamp field with the clock,
so membership can change with no new event: those segments are swept as time moves.
"""

from __future__ import annotations

import re
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
_DURATION = re.compile(r"^(\d{1,5})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
TIME_OPS = {"within", "not_within"}
ORDER_OPS = {"gt", "gte", "lt", "lte"}


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


def _field_kind(name: str) -> str:
    annotation = Portrait.model_fields[name].annotation
    if get_origin(annotation) in (list, dict):
        return "collection"
    kind = _base_type(annotation)
    if issubclass(kind, datetime) or kind.__name__ == "AwareDatetime":  # pydantic's is no subclass
        return "time"
    if issubclass(kind, date):
        return "date"
    if issubclass(kind, bool):
        return "bool"
    if issubclass(kind, int | float | Decimal):
        return "number"
    if issubclass(kind, list | dict):
        return "collection"
    return "text"


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(max_length=64)
    op: Literal[
        "eq", "ne", "gt", "gte", "lt", "lte", "in", "exists", "within", "not_within", "contains"
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
        kind = _field_kind(self.field)
        if self.op in TIME_OPS:
            if kind != "time":
                raise ValueError(f"{self.op} needs a timestamp field; {self.field} is not one")
            parse_duration(str(self.value))
        elif self.op == "exists":
            if not isinstance(self.value, bool):
                raise ValueError("exists needs true or false")
        elif kind == "collection" or self.op == "contains":
            if self.op != "contains" or kind != "collection":
                raise ValueError(
                    f"{self.field} takes exists or contains; contains needs a list field"
                )
            if not isinstance(self.value, str):
                raise ValueError(f"contains on {self.field} needs text")
        elif self.op == "in":
            if not isinstance(self.value, list) or not 1 <= len(self.value) <= 100:
                raise ValueError("in needs a list of 1 to 100 values")
            for item in self.value:
                _readable_as(kind, item, self)
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
    elif kind == "time":
        try:
            instant = datetime.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"{where} needs an ISO-8601 timestamp with offset") from None
        if instant.tzinfo is None:
            raise ValueError(f"{where} needs a timestamp with an offset, such as +08:00")
    elif kind == "date":
        try:
            date.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"{where} needs an ISO-8601 date") from None
    elif kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{where} needs true or false")
    elif not isinstance(value, str):
        raise ValueError(f"{where} needs text")


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
    elif isinstance(data, AllOf | AnyOf | NotOf):
        return {AllOf: "all", AnyOf: "any", NotOf: "not"}[type(data)]
    return "condition"


Rule = Annotated[
    Annotated[Condition, Tag("condition")]
    | Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")],
    Discriminator(_rule_kind),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()


def depth(rule: Rule) -> int:
    if isinstance(rule, Condition):
        return 1
    children = (
        rule.all
        if isinstance(rule, AllOf)
        else rule.any
        if isinstance(rule, AnyOf)
        else [rule.not_]
    )
    return 1 + max(depth(c) for c in children)


def fields_of(rule: Rule) -> frozenset[str]:
    """The portrait fields a rule reads: only a change to one of them can move its members."""
    if isinstance(rule, Condition):
        return frozenset({rule.field})
    children = (
        rule.all
        if isinstance(rule, AllOf)
        else rule.any
        if isinstance(rule, AnyOf)
        else [rule.not_]
    )
    return frozenset().union(*(fields_of(c) for c in children))


def is_time_relative(rule: Rule) -> bool:
    """True when membership can change with the clock alone."""
    if isinstance(rule, Condition):
        return rule.op in TIME_OPS
    children = (
        rule.all
        if isinstance(rule, AllOf)
        else rule.any
        if isinstance(rule, AnyOf)
        else [rule.not_]
    )
    return any(is_time_relative(c) for c in children)


def matches(rule: Rule, portrait: Portrait, now: datetime) -> bool:
    """Whether the portrait satisfies the rule at `now`."""
    if isinstance(rule, AllOf):
        return all(matches(r, portrait, now) for r in rule.all)
    if isinstance(rule, AnyOf):
        return any(matches(r, portrait, now) for r in rule.any)
    if isinstance(rule, NotOf):
        return not matches(rule.not_, portrait, now)
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
    if c.op == "in":
        return actual in [_coerce(v, actual) for v in c.value]
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
