"""`make campaigns`: the ready-made campaigns load as drafts through the API, once."""

from __future__ import annotations

import httpx
import pytest
from reach_campaign.bootstrap import bootstrap
from reach_campaign.library import library
from reach_campaign.library.loader import load
from reach_runtime.stack import Broker
from reach_runtime.testing import running

from .conftest import settings_for

pytestmark = pytest.mark.kafka


def segmenter(names: set[str]) -> httpx.AsyncClient:
    """A stand-in segmenter that lists the given segments (GET /segments)."""

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/segments"
        return httpx.Response(200, json=[{"id": f"SEG-{n}", "name": n} for n in sorted(names)])

    return httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://segmenter")


async def test_ready_made_campaigns_load_as_drafts_once_with_segment_names_resolved(
    sqlite_url: str, broker: Broker
) -> None:
    settings = settings_for(sqlite_url, broker)
    entries = library()
    names = {n for e in entries for n in e.segments}
    async with running(bootstrap(settings)) as (_, http):
        partial = await load(http, segmenter(names - {"deep-loss"}))
        assert "亏损关怀" in partial.missing_segments
        assert partial.missing_segments["亏损关怀"] == ["deep-loss"]

        report = await load(http, segmenter(names))
        assert sorted(report.created + report.existing) == sorted(e.name for e in entries)
        again = await load(http, segmenter(names))
        assert (again.created, sorted(again.existing)) == ([], sorted(e.name for e in entries))

        campaigns = {c["name"]: c for c in (await http.get("/campaigns")).json()}
        assert {c["status"] for c in campaigns.values()} == {"draft"}
        bond = campaigns["稳健债券基金推荐"]["latest"]["spec"]
        assert bond["scene"]["segment_id"] == "SEG-fund-prospects"
        assert bond["audience"]["exclude_segments"] == ["SEG-deep-loss", "SEG-past-record-failure"]
        assert (await http.get("/catalogue/RM-BOND-R2")).json()["risk_level"] == "R2"
        thanks = campaigns["首笔交易感谢"]["id"]
        activated = await http.post(
            f"/campaigns/{thanks}/activate", headers={"X-Reach-Actor": "ann"}
        )
        assert activated.json()["status"] == "active"
        dry = await http.post(f"/campaigns/{campaigns['稳健债券基金推荐']['id']}/dry-run")
        assert dry.status_code == 200 and dry.json()["targeted"] == 0
