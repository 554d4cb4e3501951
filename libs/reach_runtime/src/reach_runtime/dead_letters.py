"""Dead letters: a message that cannot be handled is parked with its reason, and the line moves on."""

from __future__ import annotations

from dataclasses import dataclass

from reach_contracts import DEAD_LETTER_TOPIC
from sqlalchemy import insert, select, update

from reach_runtime.db import dead_letters
from reach_runtime.errors import Conflict, NotFound
from reach_runtime.uow import UnitOfWork

MAX_REASON = 2000


@dataclass(frozen=True)
class SourceMessage:
    """Where a message came from, as the dead-letter headers record it."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes


async def park(
    uow: UnitOfWork, *, consumer_group: str, message: SourceMessage, reason: str
) -> None:
    """Record a dead letter and queue it for the dead-letter topic, in the caller's transaction."""
    reason = reason[:MAX_REASON]
    await uow.session.execute(
        insert(dead_letters).values(
            consumer_group=consumer_group,
            source_topic=message.topic,
            source_partition=message.partition,
            source_offset=message.offset,
            key=message.key,
            value=message.value,
            reason=reason,
            created_at=uow.clock.now(),
        )
    )
    uow.emit_raw(
        DEAD_LETTER_TOPIC,
        key=message.key,
        value=message.value,
        headers=[
            ("reach-dlq-reason", reason),
            ("reach-dlq-source-topic", message.topic),
            ("reach-dlq-source-partition", str(message.partition)),
            ("reach-dlq-source-offset", str(message.offset)),
            ("reach-dlq-consumer-group", consumer_group),
        ],
    )


async def replay(uow: UnitOfWork, *, letter_id: int, topic_prefix: str) -> None:
    """Send a parked message back to its source topic (after a fix), once."""
    letter = (
        await uow.session.execute(select(dead_letters).where(dead_letters.c.id == letter_id))
    ).one_or_none()
    if letter is None:
        raise NotFound(f"no dead letter {letter_id}", field="letter_id")
    if letter.replayed_at is not None:
        raise Conflict(f"dead letter {letter_id} was replayed at {letter.replayed_at.isoformat()}")
    uow.emit_raw(letter.source_topic.removeprefix(topic_prefix), key=letter.key, value=letter.value)
    await uow.session.execute(
        update(dead_letters)
        .where(dead_letters.c.id == letter_id)
        .values(replayed_at=uow.clock.now())
    )
    await uow.commit()
