"""Two dispatchers over one database (two replicas of the notifier) never send a key twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import reach_notifier
from reach_notifier.db.tables import ContactRow, SendRow, metadata
from reach_notifier.domain.channels import Message
from reach_notifier.domain.resilience import RateLimit
from reach_notifier.handlers.dispatch import Dispatcher, DispatchPolicy, Provider
from reach_runtime import migrations
from reach_runtime.clock import SystemClock
from reach_runtime.db import create_engine, outbox, session_factory
from reach_runtime.uow import UnitOfWorkFactory
from sqlalchemy import func, select

VERSIONS = Path(reach_notifier.__file__).parent / "db" / "versions"
SENDS = 300


class CountingProvider:
    """A provider of our own port that counts what it was asked to send, and is a bit slow."""

    accepts_idempotency_key = True

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    async def send(self, message: Message) -> str:
        self.calls[message.idempotency_key] += 1
        await asyncio.sleep(0.005)
        return f"P-{message.idempotency_key}"


async def test_two_dispatchers_over_one_database_send_each_key_exactly_once(
    database_url: str,
) -> None:
    await asyncio.to_thread(migrations.upgrade, VERSIONS, metadata, database_url)
    engine = create_engine(database_url)
    uows = UnitOfWorkFactory(session_factory(engine), clock=SystemClock())
    now = datetime.now(UTC)
    async with uows() as uow:
        uow.session.add(ContactRow(client_id="C1", phone="+8613800138000", updated_at=now))
        for n in range(SENDS):
            uow.session.add(
                SendRow(
                    idempotency_key=f"K{n}",
                    client_id="C1",
                    campaign_id="CMP",
                    channel="sms",
                    purpose="service",
                    body="【Reach证券】hi",
                    status="pending",
                    attempts=0,
                    parts=1,
                    fallbacks=[],
                    variables={},
                    trace=[],
                    created_at=now,
                    next_attempt_at=now,
                )
            )
        await uow.commit()
    provider = CountingProvider()
    policy = DispatchPolicy(batch=25, concurrency=10)
    replicas = [
        Dispatcher(
            uows=uows,
            providers={"sms": Provider(adapter=provider, limit=RateLimit(100_000))},
            policy=policy,
        )
        for _ in range(2)
    ]

    async def run(dispatcher: Dispatcher) -> None:
        while True:
            async with uows() as uow:
                left = await uow.session.scalar(
                    select(func.count()).select_from(SendRow).where(SendRow.status != "sent")
                )
            if not left:
                return
            if not await dispatcher.pass_once():
                await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(asyncio.gather(*(run(d) for d in replicas)), timeout=120)
        async with uows() as uow:
            emitted = await uow.session.scalar(select(func.count()).select_from(outbox))
    finally:
        await engine.dispose()
    assert len(provider.calls) == SENDS
    assert set(provider.calls.values()) == {1}
    assert emitted == SENDS  # one delivery.sent per key
