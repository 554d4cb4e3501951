"""Segment definitions: a named rule, validated and bounded."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from reach_segmenter.domain.rules import MAX_DEPTH, Rule, depth

_rule = TypeAdapter(Rule)


def parse_rule(data: Any) -> Rule:
    """A rule from its JSON form; raises ValueError when it is invalid or nested too deep."""
    rule = _rule.validate_python(data)
    if depth(rule) > MAX_DEPTH:
        raise ValueError(f"rule is nested {depth(rule)} deep; at most {MAX_DEPTH} allowed")
    return rule


def rule_json(rule: Rule) -> Any:
    return _rule.dump_python(rule, mode="json", by_alias=True, exclude_none=False)
