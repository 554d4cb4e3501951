"""What the handlers read about a batch's clients — their contact, their consents, the sends
already accepted — loaded for the whole batch in a few queries (`preload`). A client or key
loaded once is known for the rest of the unit of work, also when nothing is stored for it, so
a new client's first events ask the database nothing more. Outside a batch (the gateway's
callbacks) the same functions ask the database."""

from __future__ import annotations

from reach_contracts import Event, OutreachRequested
from reach_runtime.uow import UnitOfWork
from sqlalchemy import select

from reach_notifier.db.tables import ConsentRow, ContactRow, SendRow

CHUNK = 500
Consents = dict[tuple[str, str], ConsentRow]  # (channel, purpose) -> the client's decision


async def preload(events: list[Event], uow: UnitOfWork) -> None:
    """Contacts and consents of the batch's clients, and which of its sends exist."""
    clients = sorted({e.client_id for e in events})
    contacts: dict[str, ContactRow | None] = uow.cache.setdefault("contacts", {})
    consents: dict[str, Consents] = uow.cache.setdefault("consents", {})
    for start in range(0, len(clients), CHUNK):
        chunk = clients[start : start + CHUNK]
        contacts.update(dict.fromkeys(chunk))
        consents.update({c: {} for c in chunk})
        for row in await uow.session.scalars(
            select(ContactRow).where(ContactRow.client_id.in_(chunk))
        ):
            contacts[row.client_id] = row
        for row in await uow.session.scalars(
            select(ConsentRow).where(ConsentRow.client_id.in_(chunk))
        ):
            consents[row.client_id][(row.channel, row.purpose)] = row
    keys = sorted({e.payload.idempotency_key for e in events if isinstance(e, OutreachRequested)})
    sends: dict[str, bool] = uow.cache.setdefault("sends", {})
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        found = set(
            await uow.session.scalars(
                select(SendRow.idempotency_key).where(SendRow.idempotency_key.in_(chunk))
            )
        )
        sends.update({k: k in found for k in chunk})


async def contact_of(uow: UnitOfWork, client_id: str) -> ContactRow | None:
    contacts = uow.cache.get("contacts", {})
    if client_id in contacts:
        return contacts[client_id]
    return await uow.session.get(ContactRow, client_id)


def new_contact(uow: UnitOfWork, row: ContactRow) -> None:
    uow.session.add(row)
    uow.cache.setdefault("contacts", {})[row.client_id] = row


async def consents_of(uow: UnitOfWork, client_id: str) -> Consents:
    """Every consent decision of the client, by (channel, purpose)."""
    consents = uow.cache.setdefault("consents", {})
    if client_id not in consents:
        rows = await uow.session.scalars(
            select(ConsentRow).where(ConsentRow.client_id == client_id)
        )
        consents[client_id] = {(r.channel, r.purpose): r for r in rows}
    return consents[client_id]


async def send_exists(uow: UnitOfWork, key: str) -> bool:
    sends = uow.cache.get("sends", {})
    if key in sends:
        return sends[key]
    return await uow.session.get(SendRow, key) is not None


def new_send(uow: UnitOfWork, send: SendRow) -> None:
    uow.session.add(send)
    uow.cache.setdefault("sends", {})[send.idempotency_key] = True
