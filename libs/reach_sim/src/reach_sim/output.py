"""Where simulated events go: Kafka (as fast as possible, at a rate, or in simulated time), or
JSON-lines files that can be replayed later."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from aiokafka import AIOKafkaProducer
from reach_contracts import TOPICS, Event, decode, encode, topic_for
from reach_runtime.clock import ScaledClock
from reach_runtime.kafka import ensure_topics
from tqdm import tqdm


def topic_of(event: Event) -> str:
    return topic_for(event.event_type).name


def write_jsonl(events: Iterable[Event], path: Path) -> int:
    """One line per event: {"topic", "key", "value"}; returns how many were written."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for event in events:
            value = json.loads(encode(event))
            out.write(
                json.dumps(
                    {"topic": topic_of(event), "key": event.client_id, "value": value},
                    ensure_ascii=False,
                    separators=(",", ":"),
                )
                + "\n"
            )
            count += 1
    return count


def read_jsonl(path: Path) -> Iterator[Event]:
    """The events of a file written by `write_jsonl`, validated against their contracts."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            yield decode(record["topic"], json.dumps(record["value"]).encode())


class Pacer:
    """Decides when the next event may go: at once, at `rate` events/s, or when simulated time
    (a ScaledClock) reaches the event's occurred_at."""

    def __init__(self, *, rate: float | None = None, clock: ScaledClock | None = None) -> None:
        if rate is not None and clock is not None:
            raise ValueError("pace by rate or by simulated time, not both")
        self._rate, self._clock, self._sent, self._t0 = rate, clock, 0, time.monotonic()

    async def wait(self, event: Event) -> None:
        if self._rate:
            due = self._t0 + self._sent / self._rate
        elif self._clock is not None:
            due = time.monotonic() + self._clock.wall_time_of(event.occurred_at) - time.time()
        else:
            return
        self._sent += 1
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


async def publish(
    events: Iterable[Event],
    *,
    bootstrap: str,
    prefix: str = "",
    pacer: Pacer | None = None,
    total: int | None = None,
    progress: bool = True,
) -> Counter[str]:
    """Send events keyed by client to their topics (made if missing); returns the count per topic."""
    await ensure_topics(bootstrap, [prefix + t for t in TOPICS if TOPICS[t].producer == "upstream"])
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=20,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    by_topic: Counter[str] = Counter()
    pending: list[asyncio.Future] = []
    bar = tqdm(total=total, unit="ev", disable=not progress, desc="publishing", leave=False)
    try:
        for event in events:
            if pacer is not None:
                await pacer.wait(event)
            topic = topic_of(event)
            pending.append(
                await producer.send(prefix + topic, encode(event), key=event.client_id.encode())
            )
            by_topic[topic] += 1
            bar.update()
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        bar.close()
        await producer.stop()
    return by_topic
