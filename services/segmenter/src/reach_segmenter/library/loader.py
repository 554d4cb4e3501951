"""Loading the library into a running segmenter through its HTTP API, idempotently."""

from __future__ import annotations

import asyncio
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
    updated: list[str] = field(default_factory=list)  # differing, and given the library's version
    archived: list[str] = field(default_factory=list)  # the name is taken by an archived segment

    def lines(self) -> list[str]:
        notes = {
            "differing": "  (left as they are; `load --update` saves the library's version)",
            "archived": "  (archived here; names cannot be reused)",
        }
        return [
            f"{kind:<9} {len(names):>3}  {' '.join(names)}" + (notes.get(kind, "") if names else "")
            for kind, names in vars(self).items()
        ]


def _same(segment: LibrarySegment, existing: dict[str, Any]) -> bool:
    return existing.get("description") == segment.description and rule_json(
        parse_rule(existing["rule"])
    ) == rule_json(parse_rule(segment.rule))


async def _settled(client: httpx.AsyncClient, segment: dict[str, Any], timeout_s: float) -> None:
    """Wait until the segment's back-fill is no longer running, so segments naming it see it whole."""
    async with asyncio.timeout(timeout_s):
        while (segment.get("backfill") or {}).get("status") == "running":
            await asyncio.sleep(0.2)
            response = await client.get(f"/segments/{segment['id']}")
            response.raise_for_status()
            segment = response.json()


async def load(
    client: httpx.AsyncClient,
    segments: list[LibrarySegment] | None = None,
    *,
    update: bool = False,
    backfill_timeout_s: float = 600,
) -> LoadReport:
    """Create the library segments the segmenter lacks, in dependency order, each back-filled
    before the next; report the ones that differ (and save the library's version if `update`)."""
    segments = library() if segments is None else segments
    response = await client.get("/segments", params={"archived": "true"})
    response.raise_for_status()
    existing = {s["name"]: s for s in response.json()}
    report = LoadReport()
    for segment in segments:
        body = {"description": segment.description, "rule": segment.rule}
        found = existing.get(segment.name)
        if found is None:
            answer = await client.post("/segments", json={"name": segment.name, **body})
            done = report.created
        elif found.get("archived_at"):
            report.archived.append(segment.name)
            continue
        elif _same(segment, found):
            report.unchanged.append(segment.name)
            continue
        elif update:
            answer = await client.put(f"/segments/{found['id']}", json=body)
            done = report.updated
        else:
            report.differing.append(segment.name)
            continue
        if answer.status_code not in (200, 201, 202):
            raise RuntimeError(
                f"segment {segment.name!r} refused: {answer.status_code} {answer.text}"
            )
        await _settled(client, answer.json(), backfill_timeout_s)
        done.append(segment.name)
    return report
