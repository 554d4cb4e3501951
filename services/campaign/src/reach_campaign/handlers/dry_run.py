"""Dry run: for any version (a draft too), who would be targeted now and what each gate would
stop, with examples, without recording or sending anything."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

from reach_runtime.uow import UnitOfWork
from sqlalchemy import select

from reach_campaign.adapters.clients import ClientState
from reach_campaign.db.tables import ClientActivityRow, ClientPortraitRow, SegmentMembershipRow
from reach_campaign.domain import gate
from reach_campaign.domain.assignment import in_holdout
from reach_campaign.domain.model import (
    CampaignSpec,
    InactivityScene,
    ScheduleScene,
    SegmentEnteredScene,
    SegmentExitedScene,
)
from reach_campaign.domain.timing import in_window, local_day, next_opening
from reach_campaign.handlers.decisions import (
    first_stop,
    item_of,
    outside_audience,
    portrait_of,
    sent_recently,
    window_applies,
)

EXAMPLES = 5


async def candidates(uow: UnitOfWork, spec: CampaignSpec, limit: int) -> tuple[list[str], str]:
    """The clients the scene would pick now, and how they were found."""
    scene = spec.scene
    if isinstance(scene, SegmentEnteredScene | SegmentExitedScene):
        query = select(SegmentMembershipRow.client_id).where(
            SegmentMembershipRow.segment_id == scene.segment_id
        )
        found = "members of the scene's segment now"
    elif isinstance(scene, InactivityScene):
        query = select(ClientActivityRow.client_id).where(
            ClientActivityRow.event_type == scene.event_type,
            ClientActivityRow.last_at <= uow.clock.now() - timedelta(days=scene.days),
        )
        found = f"clients with no {scene.event_type} for {scene.days} days now"
    elif isinstance(scene, ScheduleScene):
        segment_id = spec.audience.segments[0]
        query = select(SegmentMembershipRow.client_id).where(
            SegmentMembershipRow.segment_id == segment_id
        )
        found = f"members of {segment_id}, the schedule's audience"
    else:
        query = select(ClientPortraitRow.client_id)
        found = f"every known client (the scene fires on {scene.event_type} events)"
    rows = await uow.session.scalars(query.order_by("client_id").limit(limit))
    return list(rows), found


async def dry_run(
    uow: UnitOfWork, *, campaign_id: str, spec: CampaignSpec, caps: gate.Caps, limit: int
) -> dict[str, Any]:
    now = uow.clock.now()
    clients, found = await candidates(uow, spec, limit)
    item = await item_of(uow, spec)
    stopped: dict[str, Counter[str]] = defaultdict(Counter)
    examples: dict[str, list[dict[str, str]]] = defaultdict(list)
    held_out = would_send = 0

    def stop(client_id: str, name: str, reason: str) -> None:
        stopped[name]["count"] += 1
        if len(examples[name]) < EXAMPLES:
            examples[name].append({"client_id": client_id, "reason": reason})

    await ClientState.of(uow).load(set(clients))  # a few queries per 500 candidates
    for client_id in clients:
        outside = await outside_audience(uow, spec.audience, client_id)
        if outside is not None:
            stop(client_id, "audience", outside)
            continue
        portrait = await portrait_of(uow, client_id)
        refused = first_stop(spec, item, portrait, now)
        if refused is not None:
            stop(client_id, refused.gate, refused.reason)
            continue
        if in_holdout(campaign_id, client_id, spec.evaluation.holdout_percent):
            held_out += 1
            continue
        channels, _ = gate.consent(
            spec.touchpoint.channels, spec.service.purpose, portrait.get("consents", {})
        )
        capped = gate.caps(
            purpose=spec.service.purpose,
            campaign_id=campaign_id,
            channel=channels[0],
            at=now,
            local_day=local_day(now),
            day_of=local_day,
            sent=await sent_recently(uow, client_id, now),
            limits=caps,
            campaign_limit=(spec.touchpoint.cap.count, spec.touchpoint.cap.days),
        )
        if capped is not None:
            stop(client_id, capped.gate, capped.reason)
            continue
        would_send += 1
    window = spec.touchpoint.send_window
    deferred = window_applies(spec) and not in_window(now, window)
    return {
        "campaign_id": campaign_id,
        "at": now,
        "targeted": len(clients),
        "targeted_from": found,
        "truncated_at": limit if len(clients) >= limit else None,
        "stopped": {
            name: {"count": counts["count"], "examples": examples[name]}
            for name, counts in stopped.items()
        },
        "held_out": held_out,
        "would_send": would_send,
        "send_window": (
            f"outside {window.start}-{window.end}: would wait until"
            f" {next_opening(now, window).isoformat()}"
            if deferred
            else "open"
        ),
    }
