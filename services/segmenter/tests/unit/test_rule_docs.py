"""Every rule shown in docs/segment-rules.md is valid, and every scene of DOMAIN.md has one."""

from __future__ import annotations

import json
import re
from pathlib import Path

from reach_segmenter.domain.segment import parse_rule

DOC = Path(__file__).resolve().parents[4] / "docs" / "segment-rules.md"


def _rules() -> list[dict]:
    text = DOC.read_text()
    candidates = re.findall(r"```json\n(.*?)```", text, re.S) + re.findall(r"`([^`\n]+)`", text)
    found = []
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict) and ({"all", "any", "not", "field"} & data.keys()):
            found.append(data)
    return found


def test_every_rule_in_the_rules_reference_parses() -> None:
    rules = _rules()
    assert len(rules) >= 8
    for rule in rules:
        parse_rule(rule)


def test_the_reference_has_an_example_for_each_of_the_seven_scenes() -> None:
    scenes = re.findall(r"^(\d)\. \*\*", DOC.read_text(), re.M)
    assert scenes == [str(n) for n in range(1, 8)]
