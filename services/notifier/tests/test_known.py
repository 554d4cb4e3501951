"""What the notifier's handlers read about a batch's clients (handlers/known.py), on SQLite and
PostgreSQL: loaded for the whole batch in a few queries, after which contacts, consents and
sends cost no query, also for clients with nothing stored; and what an earlier event of the
batch changed is what a later one sees."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import reach_notifier
from reach_contracts import Event
from reach_notifier.db.tables import ConsentRow, ContactRow, SendRow
from reach_notifier.db.tables import metadata as notifier_metadata
from reach_notifier.domain.rendering import SmsStyle
from reach_notifier.handlers import intake
from reach_notifier.handlers.known import preload
from reach_runtime.clock import ManualClock
from reach_runtime.testing import selects, units_of_work
from reach_runtime.uow import UnitOfWork, UnitOfWorkFactory
from reach_sim import builders as make
from sqlalchemy import select

from .conftest import NOW, outreach

VERSIONS = Path(reach_notifier.__file__).parent / "db" / "versions"
HANDLERS = {
    "account.opened": intake.on_account_opened,
    "account.contact_changed": intake.on_contact_changed,
    "account.consent_changed": intake.on_consent_changed,
}


@pytest.fixture
async def uows(database_url: str) -> AsyncIterator[UnitOfWorkFactory]:
    async with units_of_work(
        VERSIONS, notifier_metadata, database_url, clock=ManualClock(NOW)
    ) as factory:
        yield factory


async def handle(uow: UnitOfWork, events: list[Event]) -> None:
    """As the consumer does: preload the batch, then each handler in order."""
    await preload(events, uow)
    await dispatch(uow, events)


async def dispatch(uow: UnitOfWork, events: list[Event]) -> None:
    for e in events:
        if e.event_type == "outreach.requested":
            await intake.on_outreach_requested(e, uow, sms=SmsStyle())
        else:
            await HANDLERS[e.event_type](e, uow)


def onboarding(client_id: str) -> list[Event]:
    return [
        make.account_opened(client_id, NOW, advisor_id="ADV007"),
        make.contact_changed(client_id, NOW, phone="13800000000"),
        make.consent_changed(client_id, NOW, channel="sms", granted=True),
    ]


async def test_a_batch_of_clients_costs_a_few_queries_then_none(uows):
    async with uows() as uow:  # half the clients are known already
        await handle(uow, [e for n in range(0, 1000, 2) for e in onboarding(f"C{n:04}")])
        await uow.commit()

    batch = [e for n in range(1000) for e in onboarding(f"C{n:04}")]
    batch += [outreach(f"K{n:04}", f"C{n:04}") for n in range(0, 1000, 100)]
    async with uows() as uow:
        with selects(uow) as seen:
            await preload(batch, uow)
            loaded = len(seen)
            await dispatch(uow, batch)
        await uow.commit()

    assert loaded == 5  # contacts and consents per 500 clients, one for the send keys
    assert len(seen) == loaded  # the handlers asked nothing more
    async with uows() as uow:
        contacts = list(await uow.session.scalars(select(ContactRow)))
        assert len(contacts) == 1000
        assert {(c.advisor_id, c.phone) for c in contacts} == {("ADV007", "13800000000")}
        assert len(list(await uow.session.scalars(select(ConsentRow)))) == 1000
        assert len(list(await uow.session.scalars(select(SendRow)))) == 10


async def test_what_an_earlier_event_of_the_batch_changed_is_what_a_later_one_sees(uows):
    async with uows() as uow:
        await handle(uow, onboarding("C1"))
        await uow.commit()

    async with uows() as uow:
        await handle(
            uow,
            [
                make.consent_changed("C1", NOW, channel="sms", granted=False),
                outreach("K1", "C1"),  # SMS marketing: withdrawn just before
                outreach("K1", "C1"),  # the same key again: accepted once
                *onboarding("C2")[:2],
                outreach("K2", "C2"),  # the new client's phone, set earlier in the batch
            ],
        )
        await uow.commit()

    async with uows() as uow:
        sends = {s.idempotency_key: s for s in await uow.session.scalars(select(SendRow))}
        assert sends.keys() == {"K1", "K2"}
        assert sends["K1"].status == "suppressed"
        assert "sms" in (sends["K1"].skipped_channels or "")
        assert sends["K2"].status == "pending" and sends["K2"].channel == "sms"
