"""Dead letters: a message that cannot be handled is parked with its reason, and the line moves on."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reach_contracts import DEAD_LETTER_TOPIC
from sqlalchemy import insert, select, update

from reach_runtime.db import dead_letters
from reach_runtime.errors import Conflict, NotFound
from reach_runtime.uow import UnitOfWork

MAX_REASON = 2000
_PHONE = re.compile(rb"(?<!\d)(\+?86)?(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_EMAIL = re.compile(rb"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_OPENID = re.compile(rb'("(?:wechat_openid|openid|touser)"\s*:\s*")([^"]{0,3})[^"]*"')


def mask_contacts(value: bytes) -> bytes:
    """The message with phone numbers, e-mail addresses and WeChat openids masked
    (13812345678 -> 138****5678, li.na@example.com -> l***@example.com)."""
    value = _PHONE.sub(rb"\1\2****\3", value)
    value = _EMAIL.sub(rb"\1***@\2", value)
    return _OPENID.sub(rb'\1\2***"', value)


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
    """Record a dead letter and queue it for the dead-letter topic, in the caller's transaction.

    The table keeps the message as it came (replay sends it back; the API never shows it); the
    topic, which anyone may read, gets it with contact details masked (QUALITY.md)."""
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
        value=mask_contacts(message.value),
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
