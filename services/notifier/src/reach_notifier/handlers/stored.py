"""The channels the notifier keeps itself: the in-app inbox and advisors' call tasks."""

from __future__ import annotations

from reach_runtime.uow import UnitOfWork

from reach_notifier.db.tables import CallTaskRow, InboxMessageRow, SendRow


async def store(uow: UnitOfWork, send: SendRow, address: str) -> str:
    """Put the message where the client (or advisor) will find it; returns its id."""
    now = uow.clock.now()
    if send.channel == "inapp":
        uow.session.add(
            InboxMessageRow(
                idempotency_key=send.idempotency_key,
                client_id=send.client_id,
                subject=send.subject,
                body=send.body,
                created_at=now,
            )
        )
    else:
        uow.session.add(
            CallTaskRow(
                idempotency_key=send.idempotency_key,
                client_id=send.client_id,
                advisor_id=address,
                campaign_id=send.campaign_id,
                subject=send.subject,
                script=send.body,
                status="open",
                created_at=now,
            )
        )
    return send.idempotency_key
