"""The ready-made segment library: one JSON file per segment, for the scenes of DOMAIN.md.

Each file holds `name`, `scene`, `description` and `rule`; `docs/segments.md` explains them.
A rule may name another library segment (`{"segment": "valid"}`); `library()` returns the
segments in an order where every segment comes after the ones it names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEGMENTS_DIR = Path(__file__).parent / "segments"
SCENES = {
    "onboarding": "1. New client onboarding",
    "lifecycle": "Lifecycle stages",
    "activation": "2. Activation of sleeping and dormant clients",
    "churn": "3. Churn warning and retention",
    "loss-care": "4. Loss care",
    "reminders": "5. Reminders",
    "conversion": "6. Product and qualification conversion",
    "care": "7. Care",
    "value": "Value tiers",
    "advisor-time": "The 60/30/10 split of advisor time",
}


@dataclass(frozen=True)
class LibrarySegment:
    name: str
    scene: str
    description: str
    rule: dict[str, Any]

    @property
    def references(self) -> frozenset[str]:
        """The other segments this segment's rule names."""
        return references(self.rule)


def references(rule: Any) -> frozenset[str]:
    """Names of the segments a rule (in its JSON form) refers to, at any depth."""
    if isinstance(rule, list):
        return frozenset().union(*(references(r) for r in rule))
    if not isinstance(rule, dict):
        return frozenset()
    if "segment" in rule:
        return frozenset({rule["segment"]})
    return frozenset().union(
        *(references(v) for k, v in rule.items() if k in ("all", "any", "not"))
    )


def library(directory: Path = SEGMENTS_DIR) -> list[LibrarySegment]:
    """Every library segment, each after the segments it refers to; ValueError if inconsistent."""
    segments: dict[str, LibrarySegment] = {}
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        segment = LibrarySegment(
            name=data["name"],
            scene=data["scene"],
            description=data["description"],
            rule=data["rule"],
        )
        if segment.name != path.stem:
            raise ValueError(f"{path.name} holds segment {segment.name!r}; name the file after it")
        if segment.scene not in SCENES:
            raise ValueError(f"{path.name}: unknown scene {segment.scene!r}")
        segments[segment.name] = segment
    return _dependency_order(segments)


def _dependency_order(segments: dict[str, LibrarySegment]) -> list[LibrarySegment]:
    ordered: list[LibrarySegment] = []
    placed: set[str] = set()
    visiting: set[str] = set()

    def place(name: str, needed_by: str) -> None:
        if name in placed:
            return
        if name not in segments:
            raise ValueError(f"{needed_by} refers to {name!r}, which is not in the library")
        if name in visiting:
            raise ValueError(f"segments refer to each other in a cycle through {name!r}")
        visiting.add(name)
        for other in sorted(segments[name].references):
            place(other, name)
        visiting.discard(name)
        placed.add(name)
        ordered.append(segments[name])

    for name in sorted(segments):
        place(name, name)
    return ordered
