"""Segment definitions: a named rule, validated and bounded."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from reach_segmenter.domain.rules import MAX_DEPTH, MAX_NODES, Rule, depth, size

_rule = TypeAdapter(Rule)


def check_bounds(rule: Rule) -> Rule:
    """Raise ValueError when the rule is nested too deep or has too many nodes."""
    if depth(rule) > MAX_DEPTH:
        raise ValueError(f"rule is nested {depth(rule)} deep; at most {MAX_DEPTH} allowed")
    if size(rule) > MAX_NODES:
        raise ValueError(f"rule has {size(rule)} nodes; at most {MAX_NODES} allowed")
    return rule


def parse_rule(data: Any) -> Rule:
    """A rule from its JSON form; raises ValueError when it is invalid or too large."""
    return check_bounds(_rule.validate_python(data))


def rule_json(rule: Rule) -> Any:
    return _rule.dump_python(rule, mode="json", by_alias=True, exclude_none=False)
