"""Campaigns made by the first API survive the migration to versions and keep firing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from reach_campaign.bootstrap import bootstrap
from reach_contracts import SegmentEntered, SegmentMembershipChange, decode
from reach_runtime import migrations
from reach_runtime.db import create_engine
from reach_runtime.stack import Broker
from reach_runtime.testing import running
from sqlalchemy import text

from .conftest import settings_for

pytestmark = pytest.mark.kafka
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
FIRST_REVISION = "5f2e3b6fe50e"


async def test_a_campaign_of_the_first_api_becomes_version_one_and_still_fires(
    database_url: str, broker: Broker
) -> None:
    definition = bootstrap(settings_for(database_url, broker))
    await asyncio.to_thread(
        migrations.upgrade, definition.migrations, definition.metadata, database_url, FIRST_REVISION
    )
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO campaigns (id, name, status, trigger_segment_id, channel, purpose,"
                " subject, body, holdout_percent, created_at) VALUES ('c1', 'thanks', 'active',"
                " 'SEG-1', 'email', 'service', 'Thank you', 'Dear {client_id}', 0, :at)"
            ),
            {"at": NOW.replace(tzinfo=None)},
        )
        await connection.execute(
            text(
                "INSERT INTO outreach_decisions (idempotency_key, campaign_id, client_id, decision,"
                " trigger_event_id, decided_at) VALUES ('k0', 'c1', 'C0', 'requested', 'e0', :at)"
            ),
            {"at": NOW.replace(tzinfo=None)},
        )
    await engine.dispose()

    async with running(definition) as (_, http):
        campaign = (await http.get("/campaigns/c1")).json()
        assert (campaign["status"], campaign["live_version"]) == ("active", 1)
        assert campaign["latest"]["spec"]["scene"] == {
            "kind": "segment_entered",
            "segment_id": "SEG-1",
        }
        await broker.publish(
            "reach.segment-memberships.v1",
            SegmentEntered(
                event_id="seg-1",
                occurred_at=NOW,
                client_id="C1",
                payload=SegmentMembershipChange(segment_id="SEG-1", segment_name="one"),
            ),
        )
        records = await broker.read("reach.outreach.v1", until=lambda r: len(r) >= 1)
        sent = decode("reach.outreach.v1", records[0].value)
        assert (sent.payload.subject, sent.payload.body) == ("Thank you", "Dear {client_id}")
        assert sent.payload.purpose == "service"

    await asyncio.to_thread(
        migrations.downgrade,
        definition.migrations,
        definition.metadata,
        database_url,
        FIRST_REVISION,
    )
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        row = (await connection.execute(text("SELECT status, body FROM campaigns"))).one()
    await engine.dispose()
    assert tuple(row) == ("active", "Dear {client_id}")
