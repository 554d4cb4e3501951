"""Rebuild a service's state from its topics into an empty database.

The same handlers, inbox and batches as live consumption, read from the beginning of every
subscribed topic up to the end offsets at the start. Events the handlers emit are not
published again (the topics already hold them, with the same derived ids): the outbox is
emptied at the end.
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer
from sqlalchemy import delete
from tqdm import tqdm

from reach_runtime.consumer import BatchConsumer
from reach_runtime.db import outbox
from reach_runtime.kafka import partitions_of
from reach_runtime.service import Runtime


async def replay(runtime: Runtime, *, progress: bool = True) -> int:
    """Fold every subscribed topic into the runtime's database; returns how many messages."""
    settings = runtime.settings
    handler = BatchConsumer(
        settings=settings,
        subscriptions=runtime.definition.subscriptions,
        uow_factory=runtime.uows,
        preload=runtime.definition.preload,
    )
    reader = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_auto_commit=False,
        group_id=None,
        max_poll_records=settings.consumer_max_records,
    )
    await reader.start()
    try:
        names = [settings.topic(topic) for topic in runtime.definition.subscriptions]
        partitions = await partitions_of(settings.kafka_bootstrap_servers, names)
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        starts = await reader.beginning_offsets(partitions)
        ends = await reader.end_offsets(partitions)
        total = sum(ends[tp] - starts[tp] for tp in partitions)
        done = 0
        with tqdm(
            total=total, unit="ev", desc=f"replaying {settings.service_name}", disable=not progress
        ) as bar:
            while [tp for tp in partitions if await reader.position(tp) < ends[tp]]:
                batches = await reader.getmany(
                    timeout_ms=500, max_records=settings.consumer_max_records
                )
                batches = {
                    tp: kept
                    for tp, records in batches.items()
                    if (kept := [r for r in records if r.offset < ends[tp]])
                }
                if batches:
                    await handler.handle_batch(batches)
                    count = sum(len(records) for records in batches.values())
                    done += count
                    bar.update(count)
    finally:
        await reader.stop()
    async with runtime.uows() as uow:
        await uow.session.execute(delete(outbox))
        await uow.commit()
    return done
