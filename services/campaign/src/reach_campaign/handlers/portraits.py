"""Keep the latest portrait of each client: previews render against it, the gate reads it."""

from __future__ import annotations

from reach_contracts import PortraitUpdated
from reach_runtime.uow import UnitOfWork

from reach_campaign.adapters.clients import ClientState


async def on_portrait_updated(event: PortraitUpdated, uow: UnitOfWork) -> None:
    """Store the portrait unless a newer version is already stored (late or repeated events)."""
    fields = event.payload.model_dump(mode="json")
    await ClientState.of(uow).save_portrait(event.client_id, event.payload.version, fields)
