"""Load the ready-made campaigns through the APIs: segment names resolved at the segmenter,
catalogue items and scripts created when missing, each campaign created as a draft.

Nothing goes live: marketing and care still need a second person to approve their scripts and
the campaign, and a service notice is activated by someone who has looked at its dry run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from reach_campaign.library import LibraryCampaign, library

ACTOR = {"X-Reach-Actor": "campaign-library"}


@dataclass
class Report:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    missing_segments: dict[str, list[str]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        lines = [f"created as draft: {name}" for name in self.created]
        lines += [f"already there: {name}" for name in self.existing]
        lines += [
            f"not loaded, segments missing at the segmenter: {name}: {', '.join(names)}"
            " (load them first: make segments)"
            for name, names in self.missing_segments.items()
        ]
        return lines


async def _ok(response: httpx.Response, what: str) -> dict:
    if response.status_code >= 400:
        raise RuntimeError(f"{what} refused: {response.status_code} {response.text}")
    return response.json()


async def load(campaigns: httpx.AsyncClient, segmenter: httpx.AsyncClient) -> Report:
    """Create what is missing; a campaign whose name exists is left as it is."""
    report = Report()
    segments = await _ok(await segmenter.get("/segments"), "listing segments")
    segment_ids = {s["name"]: s["id"] for s in segments}
    existing = {c["name"] for c in await _ok(await campaigns.get("/campaigns"), "listing")}
    scripts = {s["name"]: s["id"] for s in await _ok(await campaigns.get("/scripts"), "scripts")}
    for entry in library():
        if entry.name in existing:
            report.existing.append(entry.name)
            continue
        missing = [n for n in entry.segments if n not in segment_ids]
        if missing:
            report.missing_segments[entry.name] = missing
            continue
        await _item(campaigns, entry)
        script_ids = {}
        for channel, words in entry.scripts.items():
            name = entry.script_name(channel)
            if name not in scripts:
                body = {"name": name, "channel": channel, "purpose": entry.purpose, **words}
                created = await campaigns.post("/scripts", json=body, headers=ACTOR)
                scripts[name] = (await _ok(created, f"script {name!r}"))["id"]
            script_ids[channel] = scripts[name]
        document = entry.document(segment_ids, script_ids)
        await _ok(
            await campaigns.post("/campaigns", json=document, headers=ACTOR),
            f"campaign {entry.name!r}",
        )
        report.created.append(entry.name)
    return report


async def _item(campaigns: httpx.AsyncClient, entry: LibraryCampaign) -> None:
    if entry.item is None:
        return
    if (await campaigns.get(f"/catalogue/{entry.item['id']}")).status_code == 404:
        await _ok(
            await campaigns.post("/catalogue", json=entry.item, headers=ACTOR),
            f"catalogue item {entry.item['id']!r}",
        )
