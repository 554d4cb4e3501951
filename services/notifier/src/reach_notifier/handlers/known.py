"""What the handlers read about a batch's clients — their contact, their consents, the sends
already accepted — loaded for the whole batch in a few queries (`preload`). A client or key
loaded once is known for the rest of the unit of work, also when nothing is stored for it, so
a new client's first events ask the database nothing more. Outside a batch (the gateway's
callbacks) a client or key is loaded when first asked for."""

from __future__ import annotations

from collections.abc import Iterable

from reach_contracts import Event, OutreachRequested
from reach_runtime.uow import UnitOfWork
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reach_notifier.db.tables import ConsentRow, ContactRow, SendRow

CHUNK = 500
Consents = dict[tuple[str, str], ConsentRow]  # (channel, purpose) -> the client's decision


async def preload(events: list[Event], uow: UnitOfWork) -> None:
    """Contacts and consents of the batch's clients, and which of its sends exist."""
    await Known.of(uow).load(
        {e.client_id for e in events},
        {e.payload.idempotency_key for e in events if isinstance(e, OutreachRequested)},
    )


class Known:
    """What a unit of work knows of its clients' contacts and consents and of the sends already
    accepted (`Known.of(uow)`): filled for a whole batch by `load`, or a client or key at a time
    when first asked for; changes are made on the rows it hands out, and new rows added here."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._contacts: dict[str, ContactRow | None] = {}
        self._consents: dict[str, Consents] = {}
        self._sends: dict[str, bool] = {}  # idempotency key -> accepted already

    @classmethod
    def of(cls, uow: UnitOfWork) -> Known:
        known = uow.cache.get("known")
        if known is None:
            known = uow.cache["known"] = cls(uow.session)
        return known

    async def load(self, client_ids: Iterable[str], send_keys: Iterable[str] = ()) -> None:
        """Contacts and consents of the clients, and which of the sends exist: two queries per
        500 clients, one per 500 keys."""
        clients = sorted(set(client_ids) - self._contacts.keys())
        for start in range(0, len(clients), CHUNK):
            chunk = clients[start : start + CHUNK]
            self._contacts.update(dict.fromkeys(chunk))
            self._consents.update({c: {} for c in chunk})
            for contact in await self.session.scalars(
                select(ContactRow).where(ContactRow.client_id.in_(chunk))
            ):
                self._contacts[contact.client_id] = contact
            for consent in await self.session.scalars(
                select(ConsentRow).where(ConsentRow.client_id.in_(chunk))
            ):
                self._consents[consent.client_id][(consent.channel, consent.purpose)] = consent
        keys = sorted(set(send_keys) - self._sends.keys())
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            found = set(
                await self.session.scalars(
                    select(SendRow.idempotency_key).where(SendRow.idempotency_key.in_(chunk))
                )
            )
            self._sends.update({k: k in found for k in chunk})

    async def contact(self, client_id: str) -> ContactRow | None:
        await self.load([client_id])
        return self._contacts[client_id]

    def add_contact(self, contact: ContactRow) -> None:
        """A new contact, for a client `contact` found none for."""
        self.session.add(contact)
        self._contacts[contact.client_id] = contact

    async def consents(self, client_id: str) -> Consents:
        """Every consent decision of the client, by (channel, purpose); add to it in place."""
        await self.load([client_id])
        return self._consents[client_id]

    async def withdrawn(self, client_id: str) -> dict[tuple[str, str], str]:
        """The client's withdrawn consents: (channel, purpose) -> where it was withdrawn."""
        consents = await self.consents(client_id)
        return {key: consent.source for key, consent in consents.items() if not consent.granted}

    async def send_exists(self, key: str) -> bool:
        await self.load((), [key])
        return self._sends[key]

    def add_send(self, send: SendRow) -> None:
        self.session.add(send)
        self._sends[send.idempotency_key] = True
