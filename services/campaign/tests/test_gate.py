"""The client-protection gate through Kafka and the API: suitability, consent, caps, arbitration,
the send window, the global pause, and the record of every decision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from reach_campaign.bootstrap import bootstrap
from reach_campaign.handlers.decisions import portrait_of
from reach_campaign.settings import CampaignSettings
from reach_contracts import (
    Portrait,
    PortraitUpdated,
    decode,
)
from reach_runtime.clock import ManualClock
from reach_runtime.stack import Broker
from reach_runtime.testing import eventually, running

from .conftest import ANN, BOB, NOW, OUTREACH, entered, settings_for

pytestmark = pytest.mark.kafka


def settings(database_url: str, broker: Broker) -> CampaignSettings:
    return settings_for(database_url, broker, release_interval_s=0.05)


def portrait(client_id: str, **fields: Any) -> PortraitUpdated:
    return PortraitUpdated(
        event_id=f"prt-{client_id}",
        occurred_at=NOW,
        client_id=client_id,
        payload=Portrait(version=1, as_of=NOW, **fields),
    )


async def script(
    http: httpx.AsyncClient, name: str, channel: str, purpose: str, body: str | None = None
) -> str:
    """An approved script of one version (ann writes, bob approves)."""
    body = body or f"{{client_id}}您好，{name}。" + ("回T退订" if channel == "sms" else "")
    created = await http.post(
        "/scripts",
        json={"name": name, "channel": channel, "purpose": purpose, "body": body, "subject": name},
        headers=ANN,
    )
    assert created.status_code == 201, created.text
    script_id = created.json()["id"]
    if purpose != "service":
        await http.post(f"/scripts/{script_id}/versions/1/submit", headers=ANN)
        approved = await http.post(f"/scripts/{script_id}/versions/1/approve", headers=BOB)
        assert approved.status_code == 200, approved.text
    return script_id


async def live_campaign(
    http: httpx.AsyncClient,
    name: str,
    *,
    purpose: str,
    channels: list[str],
    item_id: str | None = None,
    priority: int = 50,
    scene: dict[str, Any] | None = None,
    window: dict[str, Any] | None = None,
    body: str | None = None,
) -> str:
    """A campaign put live: approved by bob, or activated by ann for a service notice."""
    variants = [
        {
            "channel": c,
            "script_id": await script(http, f"{name} {c}", c, purpose, body),
            "version": 1,
        }
        for c in channels
    ]
    document = {
        "name": name,
        "goal": {"primary_event": "product.purchased"},
        "service": {"purpose": purpose, "item_id": item_id},
        "scene": scene or {"kind": "segment_entered", "segment_id": "SEG-X"},
        "touchpoint": {"channels": channels, "priority": priority, "send_window": window or {}},
        "script": {"variants": variants},
        "evaluation": {"holdout_percent": 0},
    }
    created = await http.post("/campaigns", json=document, headers=ANN)
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]
    if purpose == "service":
        done = await http.post(f"/campaigns/{campaign_id}/activate", headers=ANN)
    else:
        await http.post(f"/campaigns/{campaign_id}/submit", headers=ANN)
        done = await http.post(f"/campaigns/{campaign_id}/approve", headers=BOB)
    assert done.json()["status"] == "active", done.text
    return campaign_id


async def outreach(broker: Broker, count: int, timeout_s: float = 30) -> dict[str, Any]:
    """client id -> (event type, payload) of the first `count` outreach events."""
    records = await broker.read(OUTREACH, until=lambda r: len(r) >= count, timeout_s=timeout_s)
    events = [decode(OUTREACH, r.value) for r in records]
    return {(e.client_id, e.payload.campaign_name): e for e in events}


async def test_the_gate_offers_a_product_only_to_suitable_consenting_clients_and_says_why(
    database_url: str, broker: Broker
) -> None:
    valid = {"risk_level": "C3", "risk_expires_on": "2027-06-30"}
    withdrawn = {"granted": False, "source": "sms_reply", "at": NOW.isoformat()}
    await broker.publish(
        "reach.portraits.v1",
        portrait("C1", **valid),
        portrait("C2", risk_level="C2", risk_expires_on="2027-06-30"),
        portrait("C3", risk_level="C5", risk_expires_on="2026-11-01"),
        portrait("C4", risk_level="C4", lowest_category=True),
        portrait("C5", **valid, consents={"sms/marketing": withdrawn}),
        portrait(
            "C6", **valid, consents={"sms/marketing": withdrawn, "email/marketing": withdrawn}
        ),
        portrait("C7", risk_level="C1", professional_investor=True),
    )
    clock = ManualClock(NOW)
    async with running(bootstrap(settings(database_url, broker)), clock=clock) as (runtime, http):
        await eventually(lambda: runtime.consumer.caught_up)
        item = {
            "id": "F-EQ",
            "name": "权益基金",
            "kind": "product",
            "purpose": "marketing",
            "risk_level": "R3",
        }
        assert (await http.post("/catalogue", json=item, headers=ANN)).status_code == 201
        campaign_id = await live_campaign(
            http, "equity fund", purpose="marketing", channels=["sms", "email"], item_id="F-EQ"
        )
        clients = [f"C{n}" for n in range(1, 8)]
        await broker.publish("reach.segment-memberships.v1", *(entered(c) for c in clients))

        seen = await outreach(broker, 7)
        kinds = {client: e.event_type for (client, _), e in seen.items()}
        assert kinds == {
            "C1": "outreach.requested",
            "C2": "outreach.suppressed",
            "C3": "outreach.suppressed",
            "C4": "outreach.suppressed",
            "C5": "outreach.requested",
            "C6": "outreach.suppressed",
            "C7": "outreach.requested",
        }
        first = seen["C1", "equity fund"].payload
        assert (first.channel, [f.channel for f in first.fallbacks]) == ("sms", ["email"])
        assert first.script_version and first.fallbacks[0].body.startswith("{client_id}您好")
        no_sms = seen["C5", "equity fund"].payload
        assert (no_sms.channel, no_sms.fallbacks) == ("email", [])
        # analytics measures every decision by the campaign's goal and the segment that fired it
        stopped_event = seen["C2", "equity fund"].payload
        for payload in (first, stopped_event):
            assert (payload.goal_event, payload.attribution_window_days) == ("product.purchased", 7)
            assert payload.segment_id == "SEG-X"

        stopped = (
            await http.get(
                "/decisions", params={"campaign_id": campaign_id, "decision": "suppressed"}
            )
        ).json()
        reasons = {d["client_id"]: (d["gate"], d["reason"]) for d in stopped}
        assert reasons == {
            "C2": ("suitability", "F-EQ is R3; risk level C2 allows R1-R2"),
            "C3": ("suitability", "no product offers: risk assessment expired on 2026-11-01"),
            "C4": ("suitability", "F-EQ is R3; lowest-category client (R1 only)"),
            "C6": ("consent", "sms/marketing withdrawn; email/marketing withdrawn"),
        }
        assert seen["C2", "equity fund"].payload.gate == "suitability"
        one = (await http.get(f"/decisions/{first.idempotency_key}")).json()
        assert [h["step"] for h in one["history"]] == ["scheduled", "requested"]
        summary = (await http.get(f"/campaigns/{campaign_id}/decisions/summary")).json()
        assert summary["decisions"] == {"requested": 3, "suppressed": 4}
        assert summary["stopped_by_gate"] == {"suitability": 3, "consent": 1}


async def test_caps_arbitrate_by_priority_service_notices_bypass_them_and_night_sends_wait(
    sqlite_url: str, broker: Broker
) -> None:
    await broker.publish("reach.portraits.v1", portrait("C1"), portrait("C2"))
    clock = ManualClock(NOW)
    async with running(bootstrap(settings(sqlite_url, broker)), clock=clock) as (runtime, http):
        await eventually(lambda: runtime.consumer.caught_up)
        await live_campaign(http, "low care", purpose="care", channels=["email"], priority=20)
        high = await live_campaign(
            http, "high care", purpose="care", channels=["email"], priority=80
        )
        await live_campaign(http, "notice", purpose="service", channels=["email"])
        polite = {"applies_to_service": True}
        await live_campaign(http, "polite", purpose="service", channels=["email"], window=polite)

        await broker.publish("reach.segment-memberships.v1", entered("C1"))
        seen = await outreach(broker, 4)
        assert seen["C1", "polite"].event_type == "outreach.requested"
        assert seen["C1", "high care"].event_type == "outreach.requested"
        assert seen["C1", "notice"].event_type == "outreach.requested"
        lost = seen["C1", "low care"]
        assert (lost.event_type, lost.payload.gate) == ("outreach.suppressed", "arbitration")
        assert lost.payload.reason == (
            "1 marketing touch(es) today, cap 1; taken by 'high care' (priority 80)"
        )

        clock.set(datetime(2026, 11, 24, 15, 0, tzinfo=UTC))  # 23:00 in Shanghai
        await broker.publish("reach.segment-memberships.v1", entered("C2"))
        seen = await outreach(broker, 5)
        assert seen["C2", "notice"].event_type == "outreach.requested"  # service: at once
        assert ("C2", "polite") not in seen  # a service notice that keeps the window waits
        waiting = await http.get("/decisions", params={"campaign_id": high, "client_id": "C2"})
        [decision] = waiting.json()
        assert (decision["decision"], decision["due_at"]) == ("scheduled", "2026-11-25T00:30:00Z")
        assert "outside the send window 08:30-22:00" in decision["history"][-1]["reason"]

        paused = await http.put(
            "/gate/pause", json={"paused": True, "reason": "drill"}, headers=BOB
        )
        assert paused.json()["paused"] is True
        clock.set(datetime(2026, 11, 25, 0, 31, tzinfo=UTC))  # 08:31: the window is open
        assert len(await broker.read(OUTREACH, until=lambda r: len(r) > 5, timeout_s=2)) == 5
        await http.put("/gate/pause", json={"paused": False}, headers=BOB)
        seen = await outreach(broker, 8)
        assert seen["C2", "polite"].event_type == "outreach.requested"
        assert seen["C2", "high care"].event_type == "outreach.requested"
        assert seen["C2", "low care"].payload.gate == "arbitration"
        [decision] = (
            await http.get("/decisions", params={"campaign_id": high, "client_id": "C2"})
        ).json()
        assert decision["released_at"] == "2026-11-25T00:31:00Z"
        assert [h["step"] for h in decision["history"]] == ["scheduled", "deferred", "requested"]
        audit = (await http.get("/audit", params={"entity_type": "gate"})).json()
        assert [(a["action"], a["actor"]) for a in audit] == [("pause", "bob"), ("resume", "bob")]


async def test_a_stored_send_waits_while_its_campaign_is_paused_and_stops_when_it_ends(
    sqlite_url: str, broker: Broker
) -> None:
    clock = ManualClock(NOW)
    async with running(bootstrap(settings(sqlite_url, broker)), clock=clock) as (_, http):
        delayed = {"kind": "segment_entered", "segment_id": "SEG-X", "delay": {"minutes": 30}}
        campaign_id = await live_campaign(
            http, "later care", purpose="care", channels=["email"], scene=delayed
        )
        url = f"/campaigns/{campaign_id}"
        await broker.publish("reach.segment-memberships.v1", entered("C1"))

        async def stored() -> list:
            return (await http.get("/decisions", params={"decision": "scheduled"})).json()

        [waiting] = await eventually(stored, timeout_s=20)
        assert waiting["due_at"] == "2026-11-24T02:30:00Z"
        await http.post(f"{url}/pause", headers=ANN)
        clock.advance(timedelta(minutes=31))
        assert await broker.read(OUTREACH, until=lambda r: len(r) > 0, timeout_s=1) == []
        await http.post(f"{url}/activate", headers=ANN)
        seen = await outreach(broker, 1)
        assert seen["C1", "later care"].event_type == "outreach.requested"

        later = entered("C2").model_copy(update={"occurred_at": clock.now()})
        await broker.publish("reach.segment-memberships.v1", later)
        await eventually(stored, timeout_s=20)
        await http.post(f"{url}/end", headers=ANN)
        clock.advance(timedelta(minutes=31))
        seen = await outreach(broker, 2)
        ended = seen["C2", "later care"]
        assert (ended.event_type, ended.payload.gate) == ("outreach.suppressed", "campaign_ended")


async def test_a_send_waits_for_the_portrait_its_words_need_then_gives_up_with_the_reason(
    sqlite_url: str, broker: Broker
) -> None:
    clock = ManualClock(NOW)
    async with running(bootstrap(settings(sqlite_url, broker)), clock=clock) as (runtime, http):
        await eventually(lambda: runtime.consumer.caught_up)
        campaign_id = await live_campaign(
            http,
            "advisor intro",
            purpose="care",
            channels=["email"],
            body="{client_id}您好，您的投资顾问 {advisor_id} 随时为您服务。",
        )

        # the membership overtakes the portrait: C1's has no advisor yet, C2's never will
        await broker.publish("reach.portraits.v1", portrait("C1"), portrait("C2"))
        await broker.publish("reach.segment-memberships.v1", entered("C1"), entered("C2"))

        async def waiting() -> bool:
            found = (await http.get("/decisions", params={"campaign_id": campaign_id})).json()
            return len(found) == 2 and all(d["history"][-1]["step"] == "deferred" for d in found)

        await eventually(waiting)

        async def decision_of(client_id: str) -> dict[str, Any]:
            params = {"campaign_id": campaign_id, "client_id": client_id}
            [found] = (await http.get("/decisions", params=params)).json()
            return found

        decision = await decision_of("C1")
        assert decision["history"][-1]["reason"] == "waits for the portrait to carry advisor_id"
        assert datetime.fromisoformat(decision["due_at"]) == NOW + timedelta(seconds=15)

        # the re-checks back off: 15 s, then 30 s
        clock.set(NOW + timedelta(seconds=16))

        async def checked_twice() -> dict[str, Any] | None:
            found = await decision_of("C2")
            return found if len(found["history"]) == 3 else None

        again = await eventually(checked_twice)
        assert again is not None
        assert datetime.fromisoformat(again["due_at"]) == NOW + timedelta(seconds=46)

        later = PortraitUpdated(
            event_id="prt-C1-2",
            occurred_at=NOW,
            client_id="C1",
            payload=Portrait(version=2, as_of=NOW, advisor_id="ADV007"),
        )
        await broker.publish("reach.portraits.v1", later)

        async def stored() -> bool:  # `caught_up` can still be true from before the publish
            async with runtime.uows() as uow:
                return (await portrait_of(uow, "C1")).get("advisor_id") == "ADV007"

        assert await eventually(stored)
        seen = await outreach(broker, 1)  # due as soon as the portrait came, no re-check needed
        sent = seen["C1", "advisor intro"]
        assert sent.event_type == "outreach.requested"
        assert sent.payload.variables["advisor_id"] == "ADV007"

        clock.set(NOW + timedelta(minutes=11))
        seen = await outreach(broker, 2)
        gave_up = seen["C2", "advisor intro"]
        assert (gave_up.event_type, gave_up.payload.gate) == ("outreach.suppressed", "data")
        assert gave_up.payload.reason == "the client's portrait has no advisor_id for the script"
