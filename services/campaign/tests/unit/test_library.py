"""The ready-made campaigns: valid documents, clean words, and segments the library has."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reach_campaign.domain.linter import lint
from reach_campaign.domain.model import CampaignSpec, Purpose, cross_check
from reach_campaign.library import LibraryCampaign, library
from reach_contracts import Channel

SEGMENT_LIBRARY = Path(__file__).parents[3] / "segmenter/src/reach_segmenter/library/segments"
CAMPAIGNS = library()


def test_every_typical_scene_has_a_ready_made_campaign() -> None:
    scenes = {c.scene.split(".")[0] for c in CAMPAIGNS}
    assert scenes == {"1", "2", "3", "4", "5", "6", "7"}


@pytest.mark.parametrize("entry", CAMPAIGNS, ids=lambda c: c.file)
def test_a_ready_made_campaign_is_a_valid_document_with_words_the_linter_accepts(
    entry: LibraryCampaign,
) -> None:
    ids = {name: f"SEG-{name}" for name in entry.segments}
    scripts = {channel: f"S-{channel}" for channel in entry.scripts}
    spec = CampaignSpec.model_validate(entry.document(ids, scripts))
    assert cross_check(spec) == []
    assert set(entry.scripts) == set(spec.touchpoint.channels)
    for channel, words in entry.scripts.items():
        found = lint(
            channel=Channel(channel),
            purpose=Purpose(entry.purpose),
            subject=words.get("subject"),
            body=words["body"],
        )
        assert found == [], f"{entry.file} {channel}: {found}"
        assert channel != "email" or words.get("subject"), "an e-mail needs a subject"


def test_every_segment_a_ready_made_campaign_names_is_in_the_segment_library() -> None:
    known = {json.loads(p.read_text())["name"] for p in SEGMENT_LIBRARY.glob("*.json")}
    named = {name for entry in CAMPAIGNS for name in entry.segments}
    assert named <= known, named - known
