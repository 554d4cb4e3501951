"""The campaign service through its API on SQLite and PostgreSQL: maker-checker, versions, audit,
scripts and the linter, the catalogue, import and export, previews."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from reach_campaign.bootstrap import bootstrap
from reach_contracts import (
    Portrait,
    PortraitUpdated,
    SegmentExited,
    SegmentMembershipChange,
    decode,
)
from reach_runtime.clock import ManualClock
from reach_runtime.stack import Broker
from reach_runtime.testing import eventually, running

from .conftest import NOW, entered
from .conftest import settings_for as settings

pytestmark = pytest.mark.kafka
FUND = {
    "id": "F006011",
    "name": "稳健债券基金 A",
    "kind": "product",
    "purpose": "marketing",
    "risk_level": "R2",
    "eligibility": {"min_total_assets": "10000"},
}
SMS_WORDS = "{client_id}您好，稳健债券基金A今日开放申购，详情请咨询您的投资顾问。回T退订"


def as_(actor: str) -> dict[str, str]:
    return {"X-Reach-Actor": actor}


def spec(
    name: str,
    *,
    script_id: str,
    item_id: str | None = "F006011",
    purpose: str = "marketing",
    channel: str = "sms",
    version: int = 1,
    segment_id: str = "SEG-near-bar",
) -> dict[str, Any]:
    return {
        "name": name,
        "goal": {
            "primary_event": "product.purchased",
            "secondary_events": ["login.succeeded"],
            "attribution_window_days": 14,
            "target_rate": 0.03,
        },
        "audience": {"exclude_segments": ["SEG-loss-care"]},
        "service": {"purpose": purpose, "item_id": item_id},
        "scene": {"kind": "segment_entered", "segment_id": segment_id},
        "touchpoint": {"channels": [channel]},
        "script": {"variants": [{"channel": channel, "script_id": script_id, "version": version}]},
        "evaluation": {"holdout_percent": 0},
        "feedback": {"on_reply": "advisor_task"},
    }


async def draft_campaign(http: httpx.AsyncClient, name: str, *, script_id: str) -> dict[str, Any]:
    """A campaign draft written by ann on this script."""
    created = await http.post(
        "/campaigns", json=spec(name, script_id=script_id), headers=as_("ann")
    )
    return created.json()


async def approved_script(
    http: httpx.AsyncClient,
    *,
    name: str = "bond fund SMS",
    body: str = SMS_WORDS,
    channel: str = "sms",
    purpose: str = "marketing",
) -> dict[str, Any]:
    """A script whose version 1 was written by ann and approved by bob."""
    created = await http.post(
        "/scripts",
        json={"name": name, "channel": channel, "purpose": purpose, "body": body},
        headers=as_("ann"),
    )
    assert created.status_code == 201, created.text
    script = created.json()
    submitted = await http.post(f"/scripts/{script['id']}/versions/1/submit", headers=as_("ann"))
    assert submitted.status_code == 200, submitted.text
    approved = await http.post(f"/scripts/{script['id']}/versions/1/approve", headers=as_("bob"))
    assert approved.status_code == 200, approved.text
    return script


def located(response: httpx.Response) -> list[tuple[list, str]]:
    """The (loc, msg) pairs of an error body."""
    return [(d["loc"], d["msg"]) for d in response.json()["detail"]]


async def test_a_marketing_campaign_goes_live_only_when_someone_other_than_its_author_approves(
    database_url: str, broker: Broker
) -> None:
    async with running(bootstrap(settings(database_url, broker))) as (_, http):
        assert (await http.post("/catalogue", json=FUND, headers=as_("ann"))).status_code == 201
        script = await approved_script(http)
        created = await http.post(
            "/campaigns", json=spec("bond fund push", script_id=script["id"]), headers=as_("ann")
        )
        assert created.status_code == 201, created.text
        campaign = created.json()
        assert (campaign["status"], campaign["live_version"]) == ("draft", None)
        assert campaign["latest"]["spec"]["goal"]["attribution_window_days"] == 14
        url = f"/campaigns/{campaign['id']}"

        refused = await http.post(f"{url}/activate", headers=as_("ann"))
        assert refused.status_code == 409
        assert "second person's approval" in refused.text

        submitted = await http.post(f"{url}/submit", headers=as_("ann"))
        assert submitted.json()["status"] == "pending_approval"
        own = await http.post(f"{url}/approve", headers=as_("ann"))
        assert own.status_code == 403
        assert located(own) == [
            (
                ["body", "actor"],
                "'ann' wrote or submitted version 1: the approver must be someone else",
            )
        ]
        approved = await http.post(f"{url}/approve", json={"note": "ok"}, headers=as_("bob"))
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "active"
        assert approved.json()["live_version"] == 1
        assert approved.json()["latest"]["reviewed_by"] == "bob"

        edited = spec("bond fund push", script_id=script["id"]) | {"description": "v2"}
        new = await http.put(url, json=edited, headers=as_("ann"))
        assert new.status_code == 200, new.text
        assert (new.json()["version"], new.json()["status"]) == (2, "draft")
        first = (await http.get(f"{url}/versions/1")).json()
        assert (first["status"], first["spec"]["description"]) == ("approved", "")
        still = (await http.get(url)).json()
        assert (still["status"], still["live_version"], still["latest_version"]) == ("active", 1, 2)

        assert (await http.post(f"{url}/pause", headers=as_("cat"))).json()["status"] == "paused"
        assert (await http.post(f"{url}/activate", headers=as_("cat"))).json()["status"] == "active"
        assert (await http.post(f"{url}/end", headers=as_("cat"))).json()["status"] == "ended"
        assert (await http.post(f"{url}/activate", headers=as_("cat"))).status_code == 409
        assert (await http.put(url, json=edited, headers=as_("ann"))).status_code == 409
        assert (await http.post(f"{url}/submit", headers=as_("ann"))).status_code == 409

        log = (
            await http.get(
                "/audit", params={"entity_type": "campaign", "entity_id": campaign["id"]}
            )
        ).json()
        assert [(e["action"], e["actor"]) for e in log] == [
            ("create", "ann"),
            ("submit", "ann"),
            ("approve", "bob"),
            ("edit", "ann"),
            ("pause", "cat"),
            ("resume", "cat"),
            ("end", "cat"),
        ]
        approval = log[2]
        assert (approval["before"]["status"], approval["after"]["status"]) == (
            "pending_approval",
            "active",
        )
        versions = (await http.get("/audit", params={"entity_id": f"{campaign['id']}/2"})).json()
        assert [(e["entity_type"], e["action"], e["before"]) for e in versions] == [
            ("campaign_version", "create", None)
        ]
        assert versions[0]["after"]["spec"]["description"] == "v2"
        by_bob = (await http.get("/audit", params={"actor": "bob"})).json()
        assert {e["entity_type"] for e in by_bob} == {
            "script_version",
            "campaign_version",
            "campaign",
        }
        page = (await http.get("/audit", params={"limit": 2})).json()
        after = (await http.get("/audit", params={"limit": 2, "after_id": page[-1]["id"]})).json()
        assert page[-1]["id"] < after[0]["id"]


async def test_a_rejected_version_goes_back_to_draft_and_an_edit_makes_a_new_version(
    sqlite_url: str, broker: Broker
) -> None:
    async with running(bootstrap(settings(sqlite_url, broker))) as (_, http):
        await http.post("/catalogue", json=FUND, headers=as_("ann"))
        script = await approved_script(http)
        campaign = await draft_campaign(http, "c", script_id=script["id"])
        url = f"/campaigns/{campaign['id']}"
        await http.post(f"{url}/submit", headers=as_("ann"))
        blocked = await http.put(url, json=spec("c", script_id=script["id"]), headers=as_("ann"))
        assert blocked.status_code == 409
        rejected = await http.post(f"{url}/reject", json={"note": "no"}, headers=as_("bob"))
        assert rejected.json()["status"] == "draft"
        assert rejected.json()["latest"]["review_note"] == "no"
        again = await http.put(url, json=spec("c2", script_id=script["id"]), headers=as_("ann"))
        assert (again.json()["version"], again.json()["status"]) == (2, "draft")
        assert (await http.get(url)).json()["name"] == "c2"


async def test_a_service_notice_can_be_activated_by_its_author_without_a_second_person(
    sqlite_url: str, broker: Broker
) -> None:
    async with running(bootstrap(settings(sqlite_url, broker))) as (_, http):
        created = await http.post(
            "/campaigns",
            json={
                "name": "first-trade thank you",
                "trigger_segment_id": "SEG-1",
                "channel": "email",
                "purpose": "service",
                "subject": "Thank you",
                "body": "Dear client {client_id}, thank you ({segment}).",
                "holdout_percent": 0,
            },
            headers=as_("ann"),
        )
        assert created.status_code == 201, created.text
        campaign = created.json()
        assert campaign["latest"]["spec"]["scene"] == {
            "kind": "segment_entered",
            "segment_id": "SEG-1",
            "delay": None,
            "reentry": {"once": False, "min_days_between": 0},
        }
        activated = await http.post(f"/campaigns/{campaign['id']}/activate", headers=as_("ann"))
        assert activated.json()["status"] == "active", activated.text
        script_id = campaign["latest"]["spec"]["script"]["variants"][0]["script_id"]
        script = (await http.get(f"/scripts/{script_id}")).json()
        assert script["versions"][0]["body"] == "Dear client {client_id}, thank you ({segment})."


def portrait(client_id: str, version: int, **fields: Any) -> PortraitUpdated:
    return PortraitUpdated(
        event_id=f"prt-{client_id}-{version}",
        occurred_at=NOW,
        client_id=client_id,
        payload=Portrait(version=version, as_of=NOW, **fields),
    )


async def test_a_live_campaign_sends_its_approved_words_to_clients_in_its_audience_only(
    sqlite_url: str, broker: Broker
) -> None:
    await broker.publish(
        "reach.portraits.v1",
        portrait("C1", 1, risk_level="C3", advisor_id="ADV7"),
        portrait("C1", 2, risk_level="C3", advisor_id="ADV9", total_assets=50_000),
        portrait("C1", 1, risk_level="C1", advisor_id="ADV1"),  # late: ignored
    )
    clock = ManualClock(NOW)  # 10:00 in Shanghai: inside the send window
    async with running(bootstrap(settings(sqlite_url, broker)), clock=clock) as (runtime, http):
        await eventually(lambda: runtime.consumer.caught_up)
        await http.post("/catalogue", json=FUND, headers=as_("ann"))
        script = await approved_script(
            http, body="{client_id}您好，您的顾问{advisor_id}为您推荐稳健债券基金A。回T退订"
        )
        campaign = await draft_campaign(http, "bond fund", script_id=script["id"])
        await http.post(f"/campaigns/{campaign['id']}/submit", headers=as_("ann"))
        assert (
            await http.post(f"/campaigns/{campaign['id']}/approve", headers=as_("bob"))
        ).status_code == 200

        trace_id = uuid.uuid4().hex
        await broker.publish("reach.segment-memberships.v1", entered("C2", "SEG-loss-care"))
        await broker.publish(
            "reach.segment-memberships.v1",
            entered("C1", "SEG-near-bar"),
            entered("C2", "SEG-near-bar"),  # excluded: in loss care
            headers=[("traceparent", f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01".encode())],
        )
        records = await broker.read("reach.outreach.v1", until=lambda r: len(r) >= 1)
        assert len(records) == 1
        sent = decode("reach.outreach.v1", records[0].value)
        assert (sent.client_id, sent.event_type) == ("C1", "outreach.requested")
        assert sent.payload.body.startswith("{client_id}您好，您的顾问{advisor_id}")
        assert sent.payload.variables == {"client_id": "C1", "advisor_id": "ADV9"}
        assert (sent.payload.channel, sent.payload.purpose, sent.payload.variant) == (
            "sms",
            "marketing",
            "A",
        )
        assert dict(records[0].headers)["traceparent"].decode().split("-")[1] == trace_id

        preview = await http.post(
            f"/scripts/{script['id']}/versions/1/preview", json={"client_id": "C1"}
        )
        assert preview.json()["body"] == "C1您好，您的顾问ADV9为您推荐稳健债券基金A。回T退订"


async def test_a_preview_names_the_variable_a_client_portrait_cannot_fill(
    sqlite_url: str, broker: Broker
) -> None:
    await broker.publish("reach.portraits.v1", portrait("C1", 1, risk_level="C3"))
    async with running(bootstrap(settings(sqlite_url, broker))) as (runtime, http):
        await eventually(lambda: runtime.consumer.caught_up)
        created = await http.post(
            "/scripts",
            json={
                "name": "thanks",
                "channel": "email",
                "purpose": "service",
                "subject": "谢谢 {client_id}",
                "body": "您的顾问{advisor_id}感谢您的信任（{segment}）。",
            },
            headers=as_("ann"),
        )
        url = f"/scripts/{created.json()['id']}/versions/1/preview"
        missing = await http.post(url, json={"client_id": "C1", "variables": {"segment": "首笔"}})
        assert missing.status_code == 422
        assert located(missing) == [
            (
                ["body", "variables", "advisor_id"],
                "no value for placeholder {advisor_id} for client 'C1'",
            )
        ]
        filled = await http.post(
            url, json={"client_id": "C1", "variables": {"segment": "首笔", "advisor_id": "王经理"}}
        )
        assert filled.json() == {
            "client_id": "C1",
            "subject": "谢谢 C1",
            "body": "您的顾问王经理感谢您的信任（首笔）。",
        }
        unknown = await http.post(url, json={"client_id": "C404"})
        assert unknown.status_code == 404


async def test_the_linter_refuses_a_promise_of_returns_quoting_it_and_where_it_is(
    database_url: str, broker: Broker
) -> None:
    async with running(bootstrap(settings(database_url, broker))) as (_, http):
        words = "本产品保本，年化收益率8%。回T退订"
        created = await http.post(
            "/scripts",
            json={"name": "bad", "channel": "sms", "purpose": "marketing", "body": words},
            headers=as_("ann"),
        )
        assert created.status_code == 201  # a draft may be wrong; it cannot be submitted
        findings = created.json()["versions"][0]["findings"]
        assert [(f["rule"], f["start"], f["text"]) for f in findings] == [
            ("promise", 3, "保本"),
            ("return_forecast", 6, "年化收益率8%"),
        ]
        url = f"/scripts/{created.json()['id']}"
        refused = await http.post(f"{url}/versions/1/submit", headers=as_("ann"))
        assert refused.status_code == 422
        assert "body[3]: promises capital or returns: 「保本」" in refused.text

        fixed = await http.post(
            f"{url}/versions", json={"body": "稳健债券基金A开放申购。回T退订"}, headers=as_("ann")
        )
        assert (fixed.json()["version"], fixed.json()["findings"]) == (2, [])
        assert (await http.get(f"{url}/versions/1")).json()["body"] == words
        await http.post(f"{url}/versions/2/submit", headers=as_("ann"))
        assert (await http.post(f"{url}/versions/2/approve", headers=as_("ann"))).status_code == 403
        approved = await http.post(f"{url}/versions/2/approve", headers=as_("bob"))
        assert (approved.json()["status"], approved.json()["reviewed_by"]) == ("approved", "bob")
        again = await http.post(f"{url}/versions/2/submit", headers=as_("ann"))
        assert again.status_code == 409  # an approved version is final

        no_opt_out = await http.post(
            "/scripts/lint",
            json={"channel": "sms", "purpose": "marketing", "body": "新基金上线"},
        )
        assert [f["rule"] for f in no_opt_out.json()] == ["sms_opt_out"]
        log = (await http.get("/audit", params={"entity_type": "script_version"})).json()
        assert [(e["entity_id"].split("/")[1], e["action"], e["actor"]) for e in log] == [
            ("1", "create", "ann"),
            ("2", "create", "ann"),
            ("2", "submit", "ann"),
            ("2", "approve", "bob"),
        ]


async def test_a_campaign_document_that_does_not_hold_together_is_refused_naming_each_field(
    database_url: str, broker: Broker
) -> None:
    async with running(bootstrap(settings(database_url, broker))) as (_, http):
        await http.post("/catalogue", json=FUND, headers=as_("ann"))
        script = await approved_script(http)
        bad = spec("c", script_id=script["id"])
        bad["goal"] = {"primary_event": "trade.cancelled"}
        bad["scene"] = {"kind": "full_moon"}
        bad["evaluation"] = {"holdout_percent": 80}
        response = await http.post("/campaigns", json=bad, headers=as_("ann"))
        assert response.status_code == 422
        assert {tuple(loc) for loc, _ in located(response)} == {
            ("body", "goal", "primary_event"),
            ("body", "scene"),
            ("body", "evaluation", "holdout_percent"),
        }

        two_channels = spec("c", script_id=script["id"])
        two_channels["touchpoint"] = {"channels": ["sms", "email"]}
        response = await http.post("/campaigns", json=two_channels, headers=as_("ann"))
        assert located(response) == [
            (["body", "touchpoint", "channels", 1], "no script variant for email")
        ]

        unknown = spec("c", script_id="no-such-script")
        response = await http.post("/campaigns", json=unknown, headers=as_("ann"))
        assert located(response) == [
            (["body", "script", "variants", "0", "script_id"], "no script 'no-such-script'")
        ]
        no_item = spec("c", script_id=script["id"], item_id=None)
        response = await http.post("/campaigns", json=no_item, headers=as_("ann"))
        assert located(response)[0][0] == ["body", "service", "item_id"]

        draft = await http.post(
            "/scripts",
            json={
                "name": "draft words",
                "channel": "sms",
                "purpose": "marketing",
                "body": "新品。回T退订",
            },
            headers=as_("ann"),
        )
        campaign = await http.post(
            "/campaigns", json=spec("c", script_id=draft.json()["id"]), headers=as_("ann")
        )
        assert campaign.status_code == 201  # a draft may point at a draft script
        submitted = await http.post(
            f"/campaigns/{campaign.json()['id']}/submit", headers=as_("ann")
        )
        assert submitted.status_code == 422
        assert located(submitted)[0][0] == ["body", "script", "variants", "0", "version"]
        assert "must be approved first" in located(submitted)[0][1]


async def test_the_catalogue_keeps_products_with_their_risk_level_and_audits_every_change(
    database_url: str, broker: Broker
) -> None:
    async with running(bootstrap(settings(database_url, broker))) as (_, http):
        unrated = {k: v for k, v in FUND.items() if k != "risk_level"}
        response = await http.post("/catalogue", json=unrated, headers=as_("ann"))
        assert located(response) == [
            (["body", "risk_level"], "Value error, a product needs its risk level (R1-R5)")
        ]
        assert (await http.post("/catalogue", json=FUND, headers=as_("ann"))).status_code == 201
        assert (await http.post("/catalogue", json=FUND, headers=as_("ann"))).status_code == 409
        birthday = {"id": "CARE-birthday", "name": "生日祝福", "kind": "care", "purpose": "care"}
        assert (await http.post("/catalogue", json=birthday, headers=as_("ann"))).status_code == 201

        changed = {k: v for k, v in FUND.items() if k != "id"} | {
            "risk_level": "R3",
            "eligibility": {"qualifications": ["star_market"], "min_client_risk_level": "C3"},
        }
        put = await http.put("/catalogue/F006011", json=changed, headers=as_("bob"))
        assert put.json()["risk_level"] == "R3"
        assert put.json()["eligibility"]["qualifications"] == ["star_market"]
        retired = await http.delete("/catalogue/F006011", headers=as_("bob"))
        assert retired.json()["active"] is False
        active = (await http.get("/catalogue", params={"active": True})).json()
        assert [i["id"] for i in active] == ["CARE-birthday"]
        products = (await http.get("/catalogue", params={"kind": "product"})).json()
        assert [i["id"] for i in products] == ["F006011"]

        log = (await http.get("/audit", params={"entity_id": "F006011"})).json()
        assert [(e["action"], e["actor"]) for e in log] == [
            ("create", "ann"),
            ("edit", "bob"),
            ("retire", "bob"),
        ]
        assert (log[1]["before"]["risk_level"], log[1]["after"]["risk_level"]) == ("R2", "R3")
        assert (log[2]["before"]["active"], log[2]["after"]["active"]) == (True, False)


async def test_a_campaign_exported_as_yaml_or_json_imports_as_a_new_draft(
    database_url: str, broker: Broker
) -> None:
    async with running(bootstrap(settings(database_url, broker))) as (_, http):
        await http.post("/catalogue", json=FUND, headers=as_("ann"))
        script = await approved_script(http)
        original = await draft_campaign(http, "原版", script_id=script["id"])
        exported = await http.get(f"/campaigns/{original['id']}/export", params={"format": "yaml"})
        assert exported.headers["content-type"].startswith("application/yaml")
        assert "name: 原版" in exported.text
        document = exported.text.replace("name: 原版", "name: 副本")
        imported = await http.post(
            "/campaigns/import",
            content=document.encode(),
            headers=as_("bob") | {"Content-Type": "application/yaml"},
        )
        assert imported.status_code == 201, imported.text
        copy = imported.json()
        assert (copy["status"], copy["created_by"], copy["name"]) == ("draft", "bob", "副本")
        assert copy["latest"]["spec"] == original["latest"]["spec"] | {"name": "副本"}

        as_json = await http.get(f"/campaigns/{original['id']}/export")
        again = await http.post(
            "/campaigns/import",
            content=as_json.text.replace("原版", "第三").encode(),
            headers=as_("bob") | {"Content-Type": "application/json"},
        )
        assert again.json()["latest"]["spec"]["goal"] == original["latest"]["spec"]["goal"]

        broken = document.replace("holdout_percent: 0", "holdout_percent: 90")
        refused = await http.post(
            "/campaigns/import",
            content=broken.replace("副本", "第四").encode(),
            headers=as_("bob") | {"Content-Type": "application/yaml"},
        )
        assert refused.status_code == 422
        assert located(refused)[0][0] == ["body", "evaluation", "holdout_percent"]
        unreadable = await http.post(
            "/campaigns/import",
            content=b"name: [unclosed",
            headers=as_("bob") | {"Content-Type": "application/yaml"},
        )
        assert unreadable.status_code == 422
        assert located(unreadable)[0][0] == ["body"]


def exited(client_id: str, segment_id: str, n: int = 1) -> SegmentExited:
    return SegmentExited(
        event_id=f"seg-{segment_id}-{client_id}-{n}-exit",
        occurred_at=NOW,
        client_id=client_id,
        payload=SegmentMembershipChange(segment_id=segment_id, segment_name=segment_id.lower()),
    )


async def test_a_segment_exited_scene_fires_on_leaving_for_clients_in_the_required_segment(
    sqlite_url: str, broker: Broker
) -> None:
    async with running(bootstrap(settings(sqlite_url, broker))) as (_, http):
        words = await http.post(
            "/scripts",
            json={
                "name": "we miss you",
                "channel": "email",
                "purpose": "service",
                "subject": "{segment}",
                "body": "Dear {client_id}, your advisor is here if you need anything.",
            },
            headers=as_("ann"),
        )
        document = spec(
            "left active traders",
            script_id=words.json()["id"],
            item_id=None,
            purpose="service",
            channel="email",
        ) | {
            "scene": {"kind": "segment_exited", "segment_id": "SEG-active"},
            "audience": {"segments": ["SEG-valuable"]},
        }
        created = await http.post("/campaigns", json=document, headers=as_("ann"))
        assert created.status_code == 201, created.text
        campaign_id = created.json()["id"]
        activated = await http.post(f"/campaigns/{campaign_id}/activate", headers=as_("ann"))
        assert activated.json()["status"] == "active", activated.text

        await broker.publish(
            "reach.segment-memberships.v1",
            entered("C1", "SEG-valuable"),
            entered("C1", "SEG-active"),  # entering is not this scene
            entered("C2", "SEG-active"),
            exited("C2", "SEG-active"),  # not in SEG-valuable: skipped
            exited("C1", "SEG-active"),
        )
        records = await broker.read("reach.outreach.v1", until=lambda r: len(r) >= 2, timeout_s=8)
        assert [decode("reach.outreach.v1", r.value).client_id for r in records] == ["C1"]
        sent = decode("reach.outreach.v1", records[0].value)
        assert (sent.payload.purpose, sent.payload.variables) == (
            "service",
            {"segment": "seg-active", "client_id": "C1"},
        )
