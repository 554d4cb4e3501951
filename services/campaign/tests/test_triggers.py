"""Scenes beyond segments, through Kafka: upstream event patterns with conditions ("first ever",
an outflow of half the assets, a login after 30 days away), a delay to the next trading day,
"did A but not B within N days", inactivity and re-entry; and the dry run of a draft."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from reach_campaign.bootstrap import bootstrap
from reach_campaign.db.tables import ClientActivityRow, ScheduleSlotRow
from reach_campaign.settings import CampaignSettings
from reach_contracts import (
    Portrait,
    PortraitUpdated,
    SegmentEntered,
    SegmentMembershipChange,
    decode,
)
from reach_runtime.clock import ManualClock
from reach_runtime.stack import Broker
from reach_runtime.testing import eventually, running
from reach_sim import builders as make

from .conftest import ANN, OUTREACH, settings_for

pytestmark = pytest.mark.kafka
NOW = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)  # Friday 14:00 in Shanghai


def settings(database_url: str, broker: Broker) -> CampaignSettings:
    return settings_for(database_url, broker, release_interval_s=0.05, sweep_interval_s=0.2)


async def notice(
    http: httpx.AsyncClient,
    name: str,
    scene: dict[str, Any],
    *,
    body: str | None = None,
    audience: list[str] = (),
) -> str:
    """A live service notice on the in-app inbox with this scene, no holdout."""
    script = (
        await http.post(
            "/scripts",
            json={"name": name, "channel": "inapp", "purpose": "service", "body": body or name},
            headers=ANN,
        )
    ).json()
    document = {
        "name": name,
        "goal": {"primary_event": "trade.executed"},
        "audience": {"segments": list(audience)},
        "service": {"purpose": "service"},
        "scene": scene,
        "touchpoint": {"channels": ["inapp"]},
        "script": {"variants": [{"channel": "inapp", "script_id": script["id"], "version": 1}]},
        "evaluation": {"holdout_percent": 0},
    }
    created = await http.post("/campaigns", json=document, headers=ANN)
    assert created.status_code == 201, created.text
    activated = await http.post(f"/campaigns/{created.json()['id']}/activate", headers=ANN)
    assert activated.json()["status"] == "active", activated.text
    return created.json()["id"]


async def sent(broker: Broker, at_least: int, timeout_s: float = 20) -> list[tuple[str, str]]:
    records = await broker.read(OUTREACH, until=lambda r: len(r) >= at_least, timeout_s=timeout_s)
    events = [decode(OUTREACH, r.value) for r in records]
    return sorted((e.payload.campaign_name, e.client_id) for e in events)


async def test_event_patterns_fire_on_conditions_and_a_delay_waits_for_the_next_trading_day(
    sqlite_url: str, broker: Broker
) -> None:
    clock = ManualClock(NOW)
    await broker.publish(
        "reach.portraits.v1",
        *(
            PortraitUpdated(
                event_id=f"p-{c}",
                occurred_at=NOW,
                client_id=c,
                payload=Portrait(version=1, as_of=NOW, total_assets=3_000_000),
            )
            for c in ("C1", "C2")
        ),
    )
    async with running(bootstrap(settings(sqlite_url, broker)), clock=clock) as (runtime, http):
        await eventually(lambda: runtime.consumer.caught_up)
        await notice(
            http,
            "retention call",
            {
                "kind": "event",
                "event_type": "funds.transferred",
                "conditions": [
                    {"field": "direction", "op": "eq", "value": "out"},
                    {"field": "share_of_assets", "op": "gte", "value": 0.5},
                ],
            },
        )
        thanks = await notice(
            http,
            "first trade thanks",
            {
                "kind": "event",
                "event_type": "trade.executed",
                "conditions": [{"field": "first_ever", "op": "eq", "value": True}],
                "delay": {"next_trading_day_at": "10:00"},
            },
        )
        await notice(
            http,
            "welcome back",
            {
                "kind": "event",
                "event_type": "login.succeeded",
                "conditions": [{"field": "days_since_previous", "op": "gte", "value": 30}],
            },
        )
        await broker.publish(
            "trading.fund-transfers.v1",
            make.transfer("C1", NOW, direction="out", amount="1500000"),
            make.transfer("C2", NOW, direction="out", amount="200000"),
        )
        await broker.publish(
            "trading.logins.v1",
            make.login("C1", NOW - timedelta(days=40)),
            make.login("C1", NOW),
            make.login("C2", NOW - timedelta(days=3)),
            make.login("C2", NOW),
        )
        await broker.publish(
            "trading.trades.v1", make.trade("C1", NOW), make.trade("C1", NOW + timedelta(hours=1))
        )
        assert await sent(broker, 2) == [("retention call", "C1"), ("welcome back", "C1")]

        async def scheduled() -> list:
            return (await http.get("/decisions", params={"campaign_id": thanks})).json()

        [waiting] = await eventually(scheduled, timeout_s=20)  # topics are read in no fixed order
        assert (waiting["decision"], waiting["due_at"]) == ("scheduled", "2026-11-30T02:00:00Z")

        clock.set(datetime(2026, 11, 30, 2, 0, 1, tzinfo=UTC))  # Monday 10:00 in Shanghai
        assert await sent(broker, 3) == [
            ("first trade thanks", "C1"),
            ("retention call", "C1"),
            ("welcome back", "C1"),
        ]


async def test_did_a_but_not_b_inactivity_and_re_entry_rules(
    sqlite_url: str, broker: Broker
) -> None:
    clock = ManualClock(NOW)
    async with running(bootstrap(settings(sqlite_url, broker)), clock=clock) as (runtime, http):
        await notice(
            http,
            "fund your account",
            {
                "kind": "did_not",
                "event_type": "account.opened",
                "then_not": "funds.transferred",
                "within_days": 3,
            },
        )
        await notice(
            http, "we miss you", {"kind": "inactivity", "event_type": "login.succeeded", "days": 30}
        )
        await notice(
            http,
            "weekly once",
            {
                "kind": "segment_entered",
                "segment_id": "SEG-A",
                "reentry": {"min_days_between": 7},
            },
        )
        await broker.publish(
            "accounts.events.v1",
            make.account_opened("C1", NOW),
            make.account_opened("C2", NOW),
        )
        await broker.publish(
            "trading.fund-transfers.v1",
            make.transfer("C2", NOW + timedelta(days=1), direction="in", amount="50000"),
        )
        await broker.publish(
            "trading.logins.v1",
            make.login("C3", NOW - timedelta(days=31)),
            make.login("C4", NOW - timedelta(days=10)),
        )
        entries = [
            SegmentEntered(
                event_id=f"e{n}",
                occurred_at=NOW + timedelta(days=days),
                client_id="C5",
                payload=SegmentMembershipChange(segment_id="SEG-A", segment_name="a"),
            )
            for n, days in enumerate((0, 2, 8))
        ]
        await broker.publish("reach.segment-memberships.v1", *entries)
        assert await sent(broker, 3) == [
            ("we miss you", "C3"),
            ("weekly once", "C5"),
            ("weekly once", "C5"),
        ]
        skipped = await http.get("/decisions", params={"client_id": "C5", "decision": "skipped"})
        [second] = skipped.json()
        assert second["reason"] == "re-entry: at most once in 7 days, last 2026-11-27"

        async def funded_seen() -> bool:
            async with runtime.sessions() as session:
                key = ("C2", "funds.transferred")
                return await session.get(ClientActivityRow, key) is not None

        assert await eventually(funded_seen, timeout_s=20)  # topics are read in no fixed order
        clock.set(NOW + timedelta(days=3, minutes=1))
        assert await sent(broker, 4) == [
            ("fund your account", "C1"),
            ("we miss you", "C3"),
            ("weekly once", "C5"),
            ("weekly once", "C5"),
        ]
        [funded] = (await http.get("/decisions", params={"client_id": "C2"})).json()
        assert (funded["decision"], funded["reason"]) == (
            "skipped",
            "did funds.transferred in time",
        )
        more = await broker.read(OUTREACH, until=lambda r: len(r) > 4, timeout_s=1)
        assert len(more) == 4  # the quiet client is picked once per quiet spell


async def test_a_dry_run_counts_whom_a_draft_would_target_and_what_each_gate_would_stop(
    sqlite_url: str, broker: Broker
) -> None:
    withdrawn = {"granted": False, "source": "sms_reply", "at": NOW.isoformat()}
    portraits = {
        "C1": {"risk_level": "C4"},
        "C2": {"risk_level": "C2"},
        "C3": {"risk_level": "C4", "consents": {"sms/marketing": withdrawn}},
        "C4": {"risk_level": "C4"},
    }
    await broker.publish(
        "reach.portraits.v1",
        *(
            PortraitUpdated(
                event_id=f"p-{c}",
                occurred_at=NOW,
                client_id=c,
                payload=Portrait(version=1, as_of=NOW, **fields),
            )
            for c, fields in portraits.items()
        ),
    )
    await broker.publish(
        "reach.segment-memberships.v1",
        *(
            SegmentEntered(
                event_id=f"{segment}-{c}",
                occurred_at=NOW,
                client_id=c,
                payload=SegmentMembershipChange(segment_id=segment, segment_name=segment),
            )
            for segment, clients in (
                ("SEG-NEAR", ["C1", "C2", "C3", "C4", "C5"]),
                ("SEG-LOSS", ["C4"]),
            )
            for c in clients
        ),
    )
    clock = ManualClock(NOW)
    async with running(bootstrap(settings(sqlite_url, broker)), clock=clock) as (runtime, http):
        await eventually(lambda: runtime.consumer.caught_up)
        item = {
            "id": "F-R3",
            "name": "混合基金",
            "kind": "product",
            "purpose": "marketing",
            "risk_level": "R3",
        }
        await http.post("/catalogue", json=item, headers=ANN)
        script = (
            await http.post(
                "/scripts",
                json={
                    "name": "fund sms",
                    "channel": "sms",
                    "purpose": "marketing",
                    "body": "混合基金开放申购。回T退订",
                },
                headers=ANN,
            )
        ).json()
        draft = {
            "name": "mixed fund",
            "goal": {"primary_event": "product.purchased"},
            "audience": {"exclude_segments": ["SEG-LOSS"]},
            "service": {"purpose": "marketing", "item_id": "F-R3"},
            "scene": {"kind": "segment_entered", "segment_id": "SEG-NEAR"},
            "touchpoint": {"channels": ["sms"]},
            "script": {"variants": [{"channel": "sms", "script_id": script["id"], "version": 1}]},
            "evaluation": {"holdout_percent": 0},
        }
        campaign = (await http.post("/campaigns", json=draft, headers=ANN)).json()
        assert campaign["status"] == "draft"

        result = (await http.post(f"/campaigns/{campaign['id']}/dry-run")).json()
        assert (result["version"], result["targeted"], result["would_send"]) == (1, 5, 1)
        assert result["stopped"] == {
            "suitability": {
                "count": 2,
                "examples": [
                    {"client_id": "C2", "reason": "F-R3 is R3; risk level C2 allows R1-R2"},
                    {"client_id": "C5", "reason": "no product offers: no risk assessment"},
                ],
            },
            "consent": {
                "count": 1,
                "examples": [{"client_id": "C3", "reason": "sms/marketing withdrawn"}],
            },
            "audience": {
                "count": 1,
                "examples": [{"client_id": "C4", "reason": "excluded by segment SEG-LOSS"}],
            },
        }
        assert result["send_window"] == "open"
        assert (await http.get("/decisions")).json() == []  # nothing recorded


def opened(clients: list[str], at: datetime) -> list[SegmentEntered]:
    """The clients enter SEG-OPEN, a schedule's audience."""
    return [
        SegmentEntered(
            event_id=f"open-{c}",
            occurred_at=at,
            client_id=c,
            payload=SegmentMembershipChange(segment_id="SEG-OPEN", segment_name="open"),
        )
        for c in clients
    ]


async def test_a_schedule_fires_once_per_slot_on_festivals_and_listed_dates_for_its_audience(
    sqlite_url: str, broker: Broker
) -> None:
    mid_autumn = datetime(2026, 9, 25, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai, 中秋节
    members = opened(["C1", "C2"], mid_autumn)
    await broker.publish("reach.segment-memberships.v1", *members)
    clock = ManualClock(mid_autumn)
    async with running(bootstrap(settings(sqlite_url, broker)), clock=clock) as (runtime, http):
        await eventually(lambda: runtime.consumer.caught_up)
        await notice(
            http,
            "festival care",
            {"kind": "schedule", "at": "09:00", "days": "festivals"},
            body="{occasion}快乐！",
            audience=["SEG-OPEN"],
        )
        await notice(
            http,
            "IPO day",
            {"kind": "schedule", "at": "09:30", "days": "dates", "dates": ["2026-09-28"]},
            audience=["SEG-OPEN"],
        )
        early = await broker.read(OUTREACH, until=lambda r: len(r) > 0, timeout_s=1)
        assert early == []

        clock.set(datetime(2026, 9, 25, 1, 0, 30, tzinfo=UTC))
        records = await broker.read(OUTREACH, until=lambda r: len(r) >= 2)
        events = [decode(OUTREACH, r.value) for r in records]
        assert sorted(e.client_id for e in events) == ["C1", "C2"]
        assert {e.payload.campaign_name for e in events} == {"festival care"}
        assert events[0].payload.variables == {"occasion": "中秋节"}

        clock.set(datetime(2026, 9, 28, 1, 31, tzinfo=UTC))  # Monday 09:31
        assert await sent(broker, 4) == [
            ("IPO day", "C1"),
            ("IPO day", "C2"),
            ("festival care", "C1"),
            ("festival care", "C2"),
        ]
        more = await broker.read(OUTREACH, until=lambda r: len(r) > 4, timeout_s=1)
        assert len(more) == 4  # each slot fired once


async def test_a_schedule_fires_page_by_page_and_a_restart_goes_on_after_the_last_member(
    sqlite_url: str, broker: Broker
) -> None:
    """Each page of the audience is its own transaction (`schedule_page`), so a large audience
    never sits in one; the slot's progress says where a restart goes on."""
    mid_autumn = datetime(2026, 9, 25, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai, 中秋节
    clients = [f"C{n}" for n in range(1, 8)]
    await broker.publish(
        "reach.segment-memberships.v1",
        *opened(clients, mid_autumn),
    )
    clock = ManualClock(mid_autumn)
    service = bootstrap(settings_for(sqlite_url, broker, sweep_interval_s=0.2, schedule_page=2))
    async with running(service, clock=clock) as (runtime, http):
        await eventually(lambda: runtime.consumer.caught_up)
        campaign_id = await notice(
            http,
            "festival care",
            {"kind": "schedule", "at": "09:00", "days": "festivals"},
            audience=["SEG-OPEN"],
        )
        async with runtime.uows() as uow:  # as if C1..C3 were fired before a restart
            uow.session.add(
                ScheduleSlotRow(
                    campaign_id=campaign_id,
                    slot="2026-09-25",
                    started_at=mid_autumn,
                    after_client="C3",
                    clients=3,
                )
            )
            await uow.commit()

        clock.set(datetime(2026, 9, 25, 1, 0, 30, tzinfo=UTC))
        assert await sent(broker, 4) == [("festival care", c) for c in clients[3:]]

        async def finished() -> tuple[int, str | None] | None:
            async with runtime.uows() as uow:
                row = await uow.session.get(ScheduleSlotRow, (campaign_id, "2026-09-25"))
                done = row is not None and row.finished_at is not None
                return (row.clients, row.after_client) if done else None

        assert await eventually(finished) == (7, "C7")
        more = await broker.read(OUTREACH, until=lambda r: len(r) > 4, timeout_s=1)
        assert len(more) == 4  # the slot fired once


async def test_a_birthday_schedule_greets_each_member_on_their_day_and_feb_29_on_feb_28(
    sqlite_url: str, broker: Broker
) -> None:
    morning = datetime(2027, 2, 28, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai; 2027 is no leap year
    born = {"C1": "02-29", "C2": "02-28", "C3": "03-01", "C4": None, "C9": "02-28"}
    await broker.publish(
        "reach.portraits.v1",
        *(
            PortraitUpdated(
                event_id=f"prt-{c}",
                occurred_at=morning,
                client_id=c,
                payload=Portrait(version=1, as_of=morning, birthday=b),
            )
            for c, b in born.items()
        ),
    )
    await broker.publish(
        "reach.segment-memberships.v1",
        *opened(["C1", "C2", "C3", "C4"], morning),  # C9 is not in the audience
    )
    clock = ManualClock(morning)
    async with running(bootstrap(settings(sqlite_url, broker)), clock=clock) as (runtime, http):
        await eventually(lambda: runtime.consumer.caught_up)
        await notice(
            http,
            "birthday",
            {"kind": "schedule", "at": "09:00", "days": "birthdays"},
            audience=["SEG-OPEN"],
        )
        assert await broker.read(OUTREACH, until=lambda r: len(r) > 0, timeout_s=1) == []

        clock.set(datetime(2027, 2, 28, 1, 0, 30, tzinfo=UTC))
        assert await sent(broker, 2) == [("birthday", "C1"), ("birthday", "C2")]
        clock.set(datetime(2027, 3, 1, 1, 1, tzinfo=UTC))
        assert await sent(broker, 3) == [("birthday", c) for c in ("C1", "C2", "C3")]
        more = await broker.read(OUTREACH, until=lambda r: len(r) > 3, timeout_s=1)
        assert len(more) == 3  # each birthday greeted once


async def test_a_cron_schedule_fires_once_per_instant_read_in_shanghai(
    sqlite_url: str, broker: Broker
) -> None:
    monday = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
    await broker.publish(
        "reach.segment-memberships.v1",
        *opened(["C1", "C2"], monday),
    )
    clock = ManualClock(monday)
    async with running(bootstrap(settings(sqlite_url, broker)), clock=clock) as (runtime, http):
        await eventually(lambda: runtime.consumer.caught_up)
        scene = {"kind": "schedule", "days": "cron", "cron": "*/30 9 * * 1-5"}
        await notice(http, "half-hourly", scene, body="{occasion}", audience=["SEG-OPEN"])
        assert await broker.read(OUTREACH, until=lambda r: len(r) > 0, timeout_s=1) == []

        clock.set(datetime(2026, 11, 30, 1, 0, 30, tzinfo=UTC))  # 09:00 fired
        records = await broker.read(OUTREACH, until=lambda r: len(r) >= 2)
        assert {decode(OUTREACH, r.value).payload.variables.get("occasion") for r in records} == {
            "2026-11-30T09:00:00+08:00"
        }
        clock.set(datetime(2026, 11, 30, 1, 45, tzinfo=UTC))  # 09:30 fired too
        assert len(await sent(broker, 4)) == 4
        more = await broker.read(OUTREACH, until=lambda r: len(r) > 4, timeout_s=1)
        assert len(more) == 4  # each instant fired once


async def test_a_cron_expression_that_is_not_five_valid_fields_is_refused_naming_the_field(
    sqlite_url: str, broker: Broker
) -> None:
    async with running(bootstrap(settings(sqlite_url, broker))) as (_, http):
        script = (
            await http.post(
                "/scripts",
                json={"name": "n", "channel": "inapp", "purpose": "service", "body": "n"},
                headers=ANN,
            )
        ).json()
        document = {
            "name": "bad cron",
            "goal": {"primary_event": "trade.executed"},
            "audience": {"segments": ["SEG-OPEN"]},
            "service": {"purpose": "service"},
            "scene": {"kind": "schedule", "days": "cron", "cron": "0 9 * *"},
            "touchpoint": {"channels": ["inapp"]},
            "script": {"variants": [{"channel": "inapp", "script_id": script["id"], "version": 1}]},
            "evaluation": {"holdout_percent": 0},
        }
        refused = await http.post("/campaigns", json=document, headers=ANN)
        assert refused.status_code == 422
        assert "cron" in refused.text and "5-field cron expression" in refused.text


async def test_a_client_who_converted_after_a_send_is_left_alone_by_that_campaign(
    sqlite_url: str, broker: Broker
) -> None:
    clock = ManualClock(NOW)
    async with running(bootstrap(settings(sqlite_url, broker)), clock=clock) as (runtime, http):
        await notice(http, "guide", {"kind": "segment_entered", "segment_id": "SEG-G"})
        entries = [
            SegmentEntered(
                event_id=f"g-{c}-{n}",
                occurred_at=NOW,
                client_id=c,
                payload=SegmentMembershipChange(segment_id="SEG-G", segment_name="g"),
            )
            for c, n in (("C1", 1), ("C2", 1))
        ]
        await broker.publish("reach.segment-memberships.v1", *entries)
        assert await sent(broker, 2) == [("guide", "C1"), ("guide", "C2")]
        clock.advance(timedelta(hours=1))
        await broker.publish("trading.trades.v1", make.trade("C1", NOW + timedelta(minutes=30)))

        async def traded() -> bool:
            async with runtime.sessions() as session:
                return await session.get(ClientActivityRow, ("C1", "trade.executed")) is not None

        assert await eventually(traded, timeout_s=20)  # topics are read in no fixed order
        again = [
            SegmentEntered(
                event_id=f"g-{c}-2",
                occurred_at=NOW + timedelta(hours=1),
                client_id=c,
                payload=SegmentMembershipChange(segment_id="SEG-G", segment_name="g"),
            )
            for c in ("C1", "C2")
        ]
        await broker.publish("reach.segment-memberships.v1", *again)
        assert await sent(broker, 3) == [("guide", "C1"), ("guide", "C2"), ("guide", "C2")]
        [skipped] = (await http.get("/decisions", params={"decision": "skipped"})).json()
        assert (skipped["client_id"], skipped["reason"]) == (
            "C1",
            "feedback: converted (trade.executed) after this campaign's last send",
        )
