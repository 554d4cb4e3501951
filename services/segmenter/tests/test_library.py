"""The ready-made segment library: valid rules, loaded with one call, clients where they belong."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from reach_contracts import Portrait, PortraitUpdated
from reach_runtime.clock import ManualClock
from reach_runtime.stack import Broker
from reach_runtime.testing import eventually, running
from reach_segmenter.bootstrap import bootstrap
from reach_segmenter.domain.rules import matches
from reach_segmenter.domain.segment import parse_rule
from reach_segmenter.library import SCENES, library
from reach_segmenter.library.loader import load
from reach_segmenter.settings import SegmenterSettings

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
DAY = timedelta(days=1)

# Each client's portrait fields, and the library segments that portrait qualifies for.
CLIENTS: dict[str, tuple[dict, set[str]]] = {
    "new": (
        {"lifecycle_stage": "opened", "opened_on": NOW.date(), "years_in_market": 0.0},
        {"new-unfunded", "acquire", "open-accounts"},
    ),
    "opened-3y-ago": (
        {"lifecycle_stage": "opened", "years_in_market": 3.0},
        {"acquire", "open-accounts"},
    ),
    "funded": (
        {
            "lifecycle_stage": "funded",
            "years_in_market": 0.1,
            "total_assets": 5_000,
            "net_inflow_total": 5_000,
        },
        {"funded-no-trade", "acquire", "open-accounts"},
    ),
    "first": (
        {
            "lifecycle_stage": "active",
            "first_trade_at": NOW - DAY,
            "last_trade_at": NOW - DAY,
            "trade_count": 1,
            "total_assets": 50_000,
        },
        {"first-trade", "valid", "active", "core", "open-accounts"},
    ),
    "invite": (
        {
            "lifecycle_stage": "active",
            "first_trade_at": NOW - 9 * DAY,
            "last_trade_at": NOW - 9 * DAY,
            "trade_count": 2,
            "total_assets": 20_000,
        },
        {"invite-a-friend", "valid", "active", "core", "open-accounts"},
    ),
    "sleeper": (
        {
            "lifecycle_stage": "sleeping",
            "first_trade_at": NOW - 400 * DAY,
            "last_trade_at": NOW - 120 * DAY,
            "last_login_at": NOW - 100 * DAY,
            "trade_count": 14,
            "total_assets": 80_000,
        },
        {"sleeping", "sleeping-with-assets", "valid", "keep", "open-accounts"},
    ),
    "dormant": (
        {"lifecycle_stage": "dormant", "total_assets": 50, "cash": 50, "holdings_count": 0},
        {"dormant", "open-accounts"},
    ),
    "down-35": (
        {
            "lifecycle_stage": "active",
            "last_trade_at": NOW - 3 * DAY,
            "trade_count": 40,
            "total_assets": 1_950_000,
            "avg_assets_20d": 2_100_000,
            "value_tier": "high_net_worth",
            "drawdown_90d": 0.35,
            "unrealised_pnl_ratio": -0.35,
        },
        {"deep-loss", "high-net-worth", "valid", "active", "core", "open-accounts"},
    ),
    "wealthy-idle": (
        {
            "lifecycle_stage": "valid",
            "last_trade_at": NOW - 45 * DAY,
            "trade_count": 30,
            "total_assets": 1_200_000,
            "avg_assets_20d": 1_200_000,
            "value_tier": "high_net_worth",
            "margin_eligible": True,
        },
        {"high-net-worth", "valid", "keep", "open-accounts"},
    ),
    "leaver": (
        {
            "lifecycle_stage": "active",
            "last_trade_at": NOW - 10 * DAY,
            "trade_count": 25,
            "total_assets": 0,
            "value_tier": "vip",  # held for 90 days after the assets left
            "custody_transfer_out_90d": True,
            "largest_outflow_90d": 1_500_000,
            "churn_risk": True,
            "churn_reasons": ["custody_transfer_out"],
        },
        {"churn-transfer-out", "churn-risk-valuable", "vip", "active", "keep", "open-accounts"},
    ),
    "outflow": (
        {
            "lifecycle_stage": "active",
            "last_trade_at": NOW - 2 * DAY,
            "trade_count": 8,
            "total_assets": 30_000,
            "net_inflow_30d": -60_000,
            "churn_risk": True,
            "churn_reasons": ["net_outflow"],
        },
        {"churn-outflow", "valid", "active", "keep", "open-accounts"},
    ),
    "institution": (
        {
            "client_kind": "institution",
            "lifecycle_stage": "active",
            "last_trade_at": NOW - DAY,
            "trade_count": 300,
            "total_assets": 50_000_000,
            "value_tier": "institutional",
        },
        {"institutions", "valid", "active", "core", "open-accounts"},
    ),
    "near-bar": (
        {
            "lifecycle_stage": "active",
            "last_trade_at": NOW - 5 * DAY,
            "trade_count": 12,
            "total_assets": 460_000,
            "avg_assets_20d": 450_000,
            "value_tier": "vip",
            "holdings_count": 2,
            "largest_position_share": 0.8,
            "risk_assessment_valid": True,
            "preferred_instrument": "fund",
        },
        {
            "nearing-margin-bar",
            "concentrated-holdings",
            "fund-prospects",
            "vip",
            "valid",
            "active",
            "core",
            "open-accounts",
        },
    ),
}


def portrait(client_id: str, version: int, fields: dict) -> PortraitUpdated:
    return PortraitUpdated(
        event_id=f"{client_id}-v{version}",
        occurred_at=NOW,
        client_id=client_id,
        payload=Portrait(version=version, as_of=NOW, **fields),
    )


async def memberships(client: httpx.AsyncClient) -> dict[str, set[str]]:
    """Client id -> the names of the segments it is a member of."""
    found: dict[str, set[str]] = {}
    for segment in (await client.get("/segments")).json():
        members = await client.get(f"/segments/{segment['id']}/members", params={"limit": 1000})
        for member in members.json():
            found.setdefault(member["client_id"], set()).add(segment["name"])
    return found


def test_every_library_rule_is_valid_for_the_segmenter() -> None:
    for segment in library():
        parse_rule(segment.rule)


def test_the_library_covers_every_scene_and_each_segment_follows_those_it_names() -> None:
    segments = library()
    assert {s.scene for s in segments} == set(SCENES)
    names = [s.name for s in segments]
    for position, segment in enumerate(segments):
        assert segment.references <= set(names[:position]), segment.name
    assert {"core", "keep", "acquire"} <= set(names)


def test_each_portrait_qualifies_for_exactly_the_library_segments_expected() -> None:
    segments = library()
    for client_id, (fields, expected) in CLIENTS.items():
        payload = Portrait(version=1, as_of=NOW, **fields)
        member_of: set[str] = set()
        for segment in segments:  # dependency order: references are decided first
            if matches(parse_rule(segment.rule), payload, NOW, member_of):
                member_of.add(segment.name)
        assert member_of == expected, client_id


def test_docs_list_every_library_segment_with_its_exact_rule() -> None:
    docs = (Path(__file__).parents[3] / "docs" / "segments.md").read_text(encoding="utf-8")
    for segment in library():
        row = f"| `{segment.name}` | {segment.description} | `{json.dumps(segment.rule)}` |"
        assert row in docs, segment.name


def test_a_library_that_names_a_missing_segment_or_a_cycle_is_refused(tmp_path: Path) -> None:
    def write(name: str, rule: dict) -> None:
        data = {"name": name, "scene": "care", "description": name, "rule": rule}
        (tmp_path / f"{name}.json").write_text(json.dumps(data))

    write("a", {"segment": "b"})
    with pytest.raises(ValueError, match="'b', which is not in the library"):
        library(tmp_path)
    write("b", {"not": {"segment": "a"}})
    with pytest.raises(ValueError, match="cycle"):
        library(tmp_path)


@pytest.mark.kafka
async def test_the_loaded_library_puts_each_client_where_its_portrait_belongs(
    database_url: str, broker: Broker
) -> None:
    await broker.publish(
        "reach.portraits.v1", *(portrait(c, 1, fields) for c, (fields, _) in CLIENTS.items())
    )
    settings = SegmenterSettings(
        database_url=database_url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=broker.prefix,
        relay_poll_interval_ms=50,
    )
    expected = {client_id: segments for client_id, (_, segments) in CLIENTS.items()}
    async with running(bootstrap(settings), clock=ManualClock(NOW)) as (runtime, client):
        await eventually(lambda: runtime.consumer.caught_up)
        report = await load(client)
        assert report.created == [s.name for s in library()]

        async def settled() -> bool:
            return await memberships(client) == expected

        await eventually(settled)
        assert await memberships(client) == expected

        again = await load(client)
        assert again.created == [] and again.differing == []
        assert sorted(again.unchanged) == sorted(report.created)

        # The new client deposits 20,000: it leaves "new-unfunded" and joins the funded ones.
        funded = {**CLIENTS["new"][0], "lifecycle_stage": "valid", "total_assets": 20_000}
        await broker.publish("reach.portraits.v1", portrait("new", 2, funded))
        expected["new"] = {"funded-no-trade", "valid", "acquire", "open-accounts"}
        await eventually(settled)
        assert await memberships(client) == expected


@pytest.mark.kafka
async def test_a_segment_of_the_same_name_with_another_rule_is_reported_then_updated_on_request(
    sqlite_url: str, broker: Broker
) -> None:
    settings = SegmenterSettings(
        database_url=sqlite_url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=broker.prefix,
    )
    own_rule = {"field": "drawdown_90d", "op": "gte", "value": 0.5}
    library_rule = next(s.rule for s in library() if s.name == "deep-loss")
    async with running(bootstrap(settings)) as (_runtime, client):
        mine = await client.post("/segments", json={"name": "deep-loss", "rule": own_rule})
        assert mine.status_code in (201, 202), mine.text
        url = f"/segments/{mine.json()['id']}"

        report = await load(client)

        assert report.differing == ["deep-loss"] and report.updated == []
        assert "deep-loss" not in report.created and len(report.created) == len(library()) - 1
        assert parse_rule((await client.get(url)).json()["rule"]) == parse_rule(own_rule)

        report = await load(client, update=True)

        assert report.updated == ["deep-loss"] and report.created == []
        assert parse_rule((await client.get(url)).json()["rule"]) == parse_rule(library_rule)
        assert (await load(client)).unchanged == [s.name for s in library()]
