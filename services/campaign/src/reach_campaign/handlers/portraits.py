"""Keep the latest portrait of each client: previews render against it, the gate will read it."""

from __future__ import annotations

from reach_contracts import PortraitUpdated
from reach_runtime.uow import UnitOfWork

from reach_campaign.db.tables import ClientPortraitRow


async def on_portrait_updated(event: PortraitUpdated, uow: UnitOfWork) -> None:
    """Store the portrait unless a newer version is already stored (late or repeated events)."""
    known = await uow.session.get(ClientPortraitRow, event.client_id)
    if known is not None and known.version >= event.payload.version:
        return
    fields = event.payload.model_dump(mode="json")
    if known is None:
        uow.session.add(
            ClientPortraitRow(
                client_id=event.client_id,
                version=event.payload.version,
                fields=fields,
                updated_at=uow.clock.now(),
            )
        )
        return
    known.version, known.fields, known.updated_at = event.payload.version, fields, uow.clock.now()
