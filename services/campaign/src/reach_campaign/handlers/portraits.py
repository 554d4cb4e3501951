"""Keep the latest portrait of each client: previews render against it, the gate reads it."""

from __future__ import annotations

from reach_contracts import PortraitUpdated
from reach_runtime.uow import UnitOfWork

from reach_campaign.adapters.clients import ClientState
from reach_campaign.handlers.decisions import portrait_arrived


async def on_portrait_updated(event: PortraitUpdated, uow: UnitOfWork) -> None:
    """Store the portrait unless a newer version is already stored (late or repeated events);
    the client's sends waiting for a portrait are due now."""
    fields = event.payload.model_dump(mode="json")
    if await ClientState.of(uow).save_portrait(event.client_id, event.payload.version, fields):
        await portrait_arrived(uow, event.client_id)
