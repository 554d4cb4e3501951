"""Loading the library into a running segmenter through its HTTP API, idempotently."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from reach_segmenter.domain.segment import parse_rule, rule_json
from reach_segmenter.library import LibrarySegment, library


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)  # same name, another rule or description

    def lines(self) -> list[str]:
        return [
            f"created   {len(self.created):>3}  {' '.join(self.created)}",
            f"unchanged {len(self.unchanged):>3}  {' '.join(self.unchanged)}",
            f"differing {len(self.differing):>3}  {' '.join(self.differing)}"
            + ("  (left as they are: edit or archive them first)" if self.differing else ""),
        ]


def _same(segment: LibrarySegment, existing: dict[str, Any]) -> bool:
    return existing.get("description") == segment.description and rule_json(
        parse_rule(existing["rule"])
    ) == rule_json(parse_rule(segment.rule))


async def load(
    client: httpx.AsyncClient, segments: list[LibrarySegment] | None = None
) -> LoadReport:
    """Create the library segments the segmenter lacks, in dependency order; leave the others."""
    segments = library() if segments is None else segments
    response = await client.get("/segments")
    response.raise_for_status()
    existing = {s["name"]: s for s in response.json()}
    report = LoadReport()
    for segment in segments:
        if segment.name in existing:
            same = _same(segment, existing[segment.name])
            (report.unchanged if same else report.differing).append(segment.name)
            continue
        created = await client.post(
            "/segments",
            json={"name": segment.name, "description": segment.description, "rule": segment.rule},
        )
        if created.status_code not in (200, 201, 202):
            raise RuntimeError(
                f"segment {segment.name!r} refused: {created.status_code} {created.text}"
            )
        report.created.append(segment.name)
    return report
