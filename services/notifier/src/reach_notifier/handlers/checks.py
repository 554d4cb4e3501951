"""What the notifier knows about a client when deciding a channel: addresses and consents."""

from __future__ import annotations

from collections.abc import Callable

from reach_runtime.uow import UnitOfWork

from reach_notifier.db.tables import ContactRow
from reach_notifier.domain.policy import Script, refusal
from reach_notifier.handlers.known import Known


def addresses(client_id: str, contact: ContactRow | None) -> dict[str, str | None]:
    """Where each channel reaches the client, by address field."""
    return {
        "client_id": client_id,
        "phone": contact.phone if contact else None,
        "email": contact.email if contact else None,
        "wechat_openid": contact.wechat_openid if contact else None,
        "advisor_id": contact.advisor_id if contact else None,
    }


async def refusals_for(
    uow: UnitOfWork, client_id: str, purpose: str
) -> Callable[[Script], str | None]:
    """A check of each channel for this client and purpose, as the database says now."""
    known = Known.of(uow)
    where = addresses(client_id, await known.contact(client_id))
    withdrawn = await known.withdrawn(client_id)

    def refuse(script: Script) -> str | None:
        return refusal(
            channel=script.channel, purpose=purpose, addresses=where, withdrawn=withdrawn
        )

    return refuse
