"""Fold events into an analytics database through the real consumer (decode, inbox, one
transaction per batch) without a broker, and read every result endpoint back."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import httpx
from aiokafka import ConsumerRecord, TopicPartition
from reach_analytics.bootstrap import bootstrap
from reach_analytics.settings import AnalyticsSettings
from reach_contracts import Event, encode
from reach_runtime import migrations
from reach_runtime.consumer import BatchConsumer
from reach_runtime.service import Runtime, create_app

ENDPOINTS = [
    "/campaigns",
    *(
        f"/campaigns/{c}{suffix}"
        for c in ("CMP-A", "CMP-B", "CMP-C", "CMP-D")
        for suffix in (
            "",
            "/funnel",
            "/daily",
            "/attribution?view=first_touch",
            "/attribution?view=last_touch",
            *(
                f"/uplift?by={by}"
                for by in ("campaign", "variant", "channel", "script_version", "segment")
            ),
        )
    ),
    "/paths",
    *(
        f"/bi/{d}?limit=1000"
        for d in ("outreach", "deliveries", "conversions", "touches", "campaign_results")
    ),
]


def settings_for(database_url: str) -> AnalyticsSettings:
    return AnalyticsSettings(
        database_url=database_url, kafka_bootstrap_servers="127.0.0.1:9", kafka_topic_prefix="fold."
    )


async def fold(
    database_url: str, events: list[tuple[str, Event]], *, batch: int = 7, preload: bool = True
) -> Runtime:
    """Migrate from zero, then hand the events to the consumer in batches of one topic each
    (with the service's batch preload, or without: handlers then look rows up one by one)."""
    definition = bootstrap(settings_for(database_url))
    settings = definition.settings
    await asyncio.to_thread(
        migrations.upgrade,
        definition.migrations,
        definition.metadata,
        settings.effective_database_url,
    )
    runtime = Runtime(definition)
    consumer = BatchConsumer(
        settings=settings,
        subscriptions=definition.subscriptions,
        uow_factory=runtime.uows,
        preload=definition.preload if preload else None,
    )
    offsets: dict[str, int] = {}
    pending: list[tuple[str, Event]] = []

    async def flush() -> None:
        if not pending:
            return
        topic = settings.topic(pending[0][0])
        records = []
        for _, event in pending:
            offset = offsets.get(topic, 0)
            offsets[topic] = offset + 1
            value = encode(event)
            records.append(
                ConsumerRecord(
                    topic, 0, offset, 0, 0, event.client_id.encode(), value, None, 0, len(value), ()
                )
            )
        await _handle(consumer, TopicPartition(topic, 0), records)
        pending.clear()

    for topic, event in events:
        if pending and (pending[0][0] != topic or len(pending) >= batch):
            await flush()
        pending.append((topic, event))
    await flush()
    return runtime


async def _handle(consumer: BatchConsumer, tp: TopicPartition, records: list) -> None:
    """handle_batch takes one poll's batches by partition (or, before, one partition's batch)."""
    if len(inspect.signature(consumer.handle_batch).parameters) == 1:
        await consumer.handle_batch({tp: records})  # type: ignore[call-arg]
    else:
        await consumer.handle_batch(tp, records)  # type: ignore[call-arg]


async def results(runtime: Runtime) -> dict[str, Any]:
    """Every endpoint's body, by path."""
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://analytics") as http:
        out = {}
        for path in ENDPOINTS:
            response = await http.get(path)
            assert response.status_code == 200, (path, response.text)
            out[path] = response.json()
        return out
