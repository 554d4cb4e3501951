"""The SQL evaluator: a parsed rule compiled to a boolean expression over the portraits table.

It must select exactly the portraits `domain.rules.matches` accepts, on SQLite and PostgreSQL:
every node is two-valued (a missing field never turns a NOT into NULL), numbers compare as
numbers (PostgreSQL: numeric; SQLite: doubles, exact to 15 significant digits), timestamps as
instants (PostgreSQL casts; SQLite compares the fixed-width UTC text `portrait_json` stores),
text byte-wise as Python does (COLLATE "C" on PostgreSQL).

Each condition reads its field once and is made two-valued by `coalesce` (a comparison with a
missing field is NULL, read as false; `ne` and `not_within` as true), rather than testing
presence and then comparing: on PostgreSQL every `->>` decompresses the portrait's JSONB again,
so a second read per condition doubled the cost of a back-fill's scan. (Reading the rule's
fields once per row with `jsonb_to_record` cost as much as two reads: it builds a record per
row.) The portraits' JSONB is compressed with lz4 where the server has it; see the migration.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from reach_contracts import Portrait
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Float,
    Numeric,
    and_,
    cast,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from reach_segmenter.db.tables import MembershipRow, PortraitRow
from reach_segmenter.domain.rules import (
    TIME_FIELDS,
    AllOf,
    AnyOf,
    Condition,
    NotOf,
    Rule,
    SegmentRef,
    field_kind,
    parse_duration,
)


def utc_text(instant: datetime) -> str:
    """The stored form of an instant: fixed-width UTC, so text order is time order."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def portrait_json(portrait: Portrait) -> dict[str, Any]:
    """A portrait as stored in the portraits table (timestamps as `utc_text`)."""
    fields = portrait.model_dump(mode="json")
    for name in TIME_FIELDS:
        value = getattr(portrait, name)
        if value is not None:
            fields[name] = utc_text(value)
    return fields


def rule_clause(
    rule: Rule, *, dialect: str, now: datetime, segment_ids: Mapping[str, str]
) -> ColumnElement[bool]:
    """True for the rows of `portraits` the rule selects at `now`.

    `segment_ids` maps the names a rule refers to onto segment ids.
    """
    return _Compiler(dialect, now, segment_ids).clause(rule)


class _Compiler:
    def __init__(self, dialect: str, now: datetime, segment_ids: Mapping[str, str]) -> None:
        self.pg = dialect == "postgresql"
        self.now = now
        self.segment_ids = segment_ids

    def raw(self, field: str) -> ColumnElement[Any]:
        """The field as text (JSON null or missing: NULL), as `->>` gives it."""
        return PortraitRow.fields[field].as_string()

    def clause(self, rule: Rule) -> ColumnElement[bool]:
        if isinstance(rule, AllOf):
            return and_(*(self.clause(r) for r in rule.all))
        if isinstance(rule, AnyOf):
            return or_(*(self.clause(r) for r in rule.any))
        if isinstance(rule, NotOf):
            return not_(self.clause(rule.not_))
        if isinstance(rule, SegmentRef):
            other = aliased(MembershipRow)
            member = exists().where(
                other.segment_id == self.segment_ids[rule.segment],
                other.client_id == PortraitRow.client_id,
            )
            return member.correlate(PortraitRow)  # the portrait of the enclosing query
        return self.condition(rule)

    def condition(self, c: Condition) -> ColumnElement[bool]:
        kind = field_kind(c.field)
        raw = self.raw(c.field)
        if c.op == "exists":
            return raw.is_not(None) if c.value else raw.is_(None)
        if c.op == "contains":
            return _absent_is(False, self.contains(c.field, kind, c.value))
        if c.op in ("within", "not_within"):
            edge = self.value("time", (self.now - parse_duration(c.value)).isoformat())
            column = self.column("time", raw)
            if c.op == "within":
                return _absent_is(False, column >= edge)
            return _absent_is(True, column < edge)
        column = self.column(kind, raw)
        if c.op == "ne":
            return _absent_is(True, column != self.value(kind, c.value))
        if c.op == "in":
            return _absent_is(False, column.in_([self.value(kind, v) for v in c.value]))
        if c.op == "between":
            lower, upper = (self.value(kind, v) for v in c.value)
            return _absent_is(False, column.between(lower, upper))
        expected = self.value(kind, c.value)
        compare = {
            "eq": column.__eq__,
            "gt": column.__gt__,
            "gte": column.__ge__,
            "lt": column.__lt__,
            "lte": column.__le__,
        }[c.op]
        return _absent_is(False, compare(expected))

    def column(self, kind: str, raw: ColumnElement[Any]) -> ColumnElement[Any]:
        """The field read as its type."""
        if kind == "number":
            return cast(raw, Numeric) if self.pg else cast(raw, Float)
        if kind == "bool":
            return cast(raw, Boolean) if self.pg else raw  # SQLite's json_extract gives 1 / 0
        if self.pg and kind == "time":
            return cast(raw, DateTime(timezone=True))
        if self.pg and kind == "date":
            return cast(raw, Date)
        return raw.collate("C") if self.pg else raw

    def value(self, kind: str, value: Any) -> Any:
        """A rule's JSON value as the bound parameter compared with `column(kind)`."""
        if kind == "number":
            number = Decimal(str(value))
            return literal(number, Numeric) if self.pg else literal(float(number), Float)
        if kind == "bool":
            return literal(bool(value)) if self.pg else literal(1 if value else 0)
        if kind == "time":
            instant = datetime.fromisoformat(str(value))
            return literal(instant, DateTime(timezone=True)) if self.pg else utc_text(instant)
        if kind == "date":
            day = date.fromisoformat(str(value))
            return literal(day, Date) if self.pg else day.isoformat()
        return str(value)

    def contains(self, field: str, kind: str, value: str) -> ColumnElement[bool]:
        if self.pg:
            return PortraitRow.fields[field].op("?", return_type=Boolean)(value)
        items = func.json_each(PortraitRow.fields, f'$."{field}"').table_valued(
            "key", "value", "type"
        )
        match = (
            items.c.key == value
            if kind == "mapping"
            else and_(items.c.type == "text", items.c.value == value)
        )
        return exists(select(literal(1)).select_from(items).where(match))


def _absent_is(verdict: bool, comparison: ColumnElement[bool]) -> ColumnElement[bool]:
    """The comparison, or `verdict` where it is NULL: the field is missing or JSON null."""
    return func.coalesce(comparison, literal(verdict))
