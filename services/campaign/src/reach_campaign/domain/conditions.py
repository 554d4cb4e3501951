"""Conditions of event scenes: `field op value` over an event's payload and derived facts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from reach_contracts import Event

from reach_campaign.domain.model import Condition


def facts(
    event: Event, portrait: Mapping[str, Any], *, first_ever: bool, previous: datetime | None
) -> dict[str, Any]:
    """The payload's fields (as JSON) plus first_ever, days_since_previous, share_of_assets."""
    known: dict[str, Any] = event.payload.model_dump(mode="json")
    known["first_ever"] = first_ever
    known["days_since_previous"] = (
        None if previous is None else (event.occurred_at - previous).total_seconds() / 86_400
    )
    amount, assets = _number(known.get("amount")), _number(portrait.get("total_assets"))
    known["share_of_assets"] = float(amount / assets) if amount is not None and assets else None
    return known


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def holds(condition: Condition, known: Mapping[str, Any]) -> bool:
    """One condition; an unknown (null) value never satisfies an order comparison."""
    actual, wanted, op = known.get(condition.field), condition.value, condition.op
    if op == "in":
        return isinstance(wanted, list) and str(actual) in wanted
    if op in ("eq", "ne"):
        same = (
            _number(actual) == _number(wanted) if _number(wanted) is not None else actual == wanted
        )
        return same if op == "eq" else not same
    left, right = _number(actual), _number(wanted)
    if left is None or right is None:
        return False
    return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[op]


def matches(conditions: Sequence[Condition], known: Mapping[str, Any]) -> bool:
    return all(holds(c, known) for c in conditions)
