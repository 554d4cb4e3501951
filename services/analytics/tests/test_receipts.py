"""Receipts and advisor call outcomes reach the campaign's results, once per send and status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from reach_analytics.bootstrap import bootstrap
from reach_analytics.settings import AnalyticsSettings
from reach_contracts import (
    DeliveryReceipted,
    DeliveryReceiptedPayload,
    DeliverySent,
    DeliverySentPayload,
    OutreachRequested,
    OutreachRequestedPayload,
)
from reach_runtime.stack import Broker
from reach_runtime.testing import eventually, running

pytestmark = pytest.mark.kafka
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def outreach(key: str, client_id: str, channel: str) -> list:
    requested = OutreachRequested(
        event_id=f"req-{key}",
        occurred_at=NOW,
        client_id=client_id,
        payload=OutreachRequestedPayload(
            idempotency_key=key,
            campaign_id="CMP1",
            campaign_name="Retention call-back",
            channel=channel,
            purpose="service",
            body="Call {client_id}",
            trigger_event_id=f"trg-{key}",
        ),
    )
    sent = DeliverySent(
        event_id=f"sent-{key}",
        occurred_at=NOW + timedelta(seconds=1),
        client_id=client_id,
        payload=DeliverySentPayload(
            idempotency_key=key,
            campaign_id="CMP1",
            channel=channel,
            provider_message_id=f"p-{key}",
            attempt=1,
        ),
    )
    return [requested, sent]


def receipt(key: str, client_id: str, channel: str, status: str) -> DeliveryReceipted:
    return DeliveryReceipted(
        event_id=f"rcp-{key}-{status}",
        occurred_at=NOW + timedelta(minutes=5),
        client_id=client_id,
        payload=DeliveryReceiptedPayload(
            idempotency_key=key,
            campaign_id="CMP1",
            channel=channel,
            provider_message_id=f"p-{key}",
            status=status,
        ),
    )


async def test_call_outcomes_and_provider_receipts_count_once_per_send_and_status(
    database_url: str, broker: Broker
) -> None:
    first, second = outreach("K1", "C1", "advisor_task"), outreach("K2", "C2", "sms")
    await broker.publish("reach.outreach.v1", first[0], second[0])
    await broker.publish(
        "reach.deliveries.v1",
        first[1],
        second[1],
        receipt("K1", "C1", "advisor_task", "reached"),
        receipt("K2", "C2", "sms", "delivered"),
        receipt("K2", "C2", "sms", "delivered").model_copy(update={"event_id": "resent"}),
    )
    settings = AnalyticsSettings(
        database_url=database_url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=broker.prefix,
    )
    async with running(bootstrap(settings)) as (_runtime, client):

        async def results() -> dict | None:
            response = await client.get("/campaigns/CMP1")
            body = response.json() if response.status_code == 200 else None
            return body if body and sum(body["receipts"].values()) >= 2 else None

        body = await eventually(results, timeout_s=30)
        assert body is not None, "receipts never reached the results"
        assert body["sent"] == 2
        # the same receipt sent again by the provider (another event id) counts once
        assert body["receipts"] == {"delivered": 1, "reached": 1}
