"""Ready-made campaigns for the typical scenes of DOMAIN.md, one YAML file each.

A file holds `scene`, `description`, `scripts` (words per channel), an optional catalogue
`item`, and `campaign`: a campaign document that names library segments by name
(`scene.segment`, `audience.segments`, `audience.exclude_segments`) and its item as
`service.item`. `document()` turns it into a campaign document once ids are known.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CAMPAIGNS_DIR = Path(__file__).parent / "campaigns"


@dataclass(frozen=True)
class LibraryCampaign:
    file: str
    scene: str
    description: str
    campaign: dict[str, Any]
    scripts: dict[str, dict[str, str]]
    item: dict[str, Any] | None

    @property
    def name(self) -> str:
        return self.campaign["name"]

    @property
    def purpose(self) -> str:
        return self.campaign["service"]["purpose"]

    @property
    def segments(self) -> list[str]:
        """The library segments it names, by name."""
        audience = self.campaign.get("audience", {})
        named = [self.campaign["scene"].get("segment")]
        named += audience.get("segments", []) + audience.get("exclude_segments", [])
        return [n for n in named if n]

    def script_name(self, channel: str) -> str:
        return f"{self.name} · {channel}"

    def document(self, segment_ids: dict[str, str], script_ids: dict[str, str]) -> dict[str, Any]:
        """The campaign document, with segment names and the item resolved and scripts attached."""
        document = {k: v for k, v in self.campaign.items()}
        scene = dict(document["scene"])
        if "segment" in scene:
            scene["segment_id"] = segment_ids[scene.pop("segment")]
        document["scene"] = scene
        audience = dict(document.get("audience", {}))
        for key in ("segments", "exclude_segments"):
            audience[key] = [segment_ids[n] for n in audience.get(key, [])]
        document["audience"] = audience
        service = dict(document["service"])
        if "item" in service:
            service["item_id"] = service.pop("item")
        document["service"] = service
        document["script"] = {
            "variants": [
                {"channel": channel, "script_id": script_ids[channel], "version": 1}
                for channel in document["touchpoint"]["channels"]
            ]
        }
        return document


def library(directory: Path = CAMPAIGNS_DIR) -> list[LibraryCampaign]:
    """Every ready-made campaign, in file order (by scene number)."""
    campaigns = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        campaigns.append(
            LibraryCampaign(
                file=path.name,
                scene=data["scene"],
                description=data["description"],
                campaign=data["campaign"],
                scripts=data["scripts"],
                item=data.get("item"),
            )
        )
    return campaigns
