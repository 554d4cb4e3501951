"""Putting an outreach on the first channel that can carry it, rendered for that channel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from reach_runtime.uow import UnitOfWork

from reach_notifier.db.tables import SendRow
from reach_notifier.domain.policy import Script, first_possible
from reach_notifier.domain.rendering import RenderError, SmsStyle, render
from reach_notifier.handlers.checks import refusals_for
from reach_notifier.handlers.outcomes import mark_failed, mark_suppressed


async def route(
    uow: UnitOfWork,
    send: SendRow,
    scripts: list[Script],
    *,
    sms: SmsStyle,
    refused_before: Sequence[str] = (),
) -> None:
    """Make `send` pending on the first possible channel of `scripts`; suppress it with every
    channel's reason when none is possible; fail it when the chosen script does not render."""
    refuse = await refusals_for(uow, send.client_id, send.purpose)
    chosen, rest, reasons = first_possible(scripts, refuse)
    reasons = [*refused_before, *reasons]
    send.skipped_channels = "; ".join(reasons) or None
    if chosen is None:
        mark_suppressed(uow, send, "; ".join(reasons))
        return
    send.channel, send.script_version = chosen.channel, chosen.script_version
    send.fallbacks = [asdict(script) for script in rest]
    try:
        rendered = render(
            channel=chosen.channel,
            purpose=send.purpose,
            subject=chosen.subject,
            body=chosen.body,
            variables=send.variables,
            sms=sms,
        )
    except RenderError as error:
        send.body = chosen.body
        mark_failed(uow, send, f"render: {error}")
        return
    send.subject, send.body, send.parts = rendered.subject, rendered.body, rendered.parts
    send.status, send.next_attempt_at = "pending", uow.clock.now()
