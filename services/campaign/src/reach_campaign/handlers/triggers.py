"""The trigger engine (segment entered, for now): decide, record, and emit each outreach once."""

from __future__ import annotations

from reach_contracts import (
    OutreachHeldOut,
    OutreachHeldOutPayload,
    OutreachRequested,
    OutreachRequestedPayload,
    SegmentEntered,
)
from reach_runtime.ids import derived_id
from reach_runtime.uow import UnitOfWork
from sqlalchemy import select

from reach_campaign.db.tables import CampaignRow, DecisionRow
from reach_campaign.domain.assignment import in_holdout

OUTREACH_TOPIC = "reach.outreach.v1"


async def on_segment_entered(event: SegmentEntered, uow: UnitOfWork) -> None:
    """Every active campaign triggered by this segment decides for this client."""
    campaigns = await uow.session.scalars(
        select(CampaignRow).where(
            CampaignRow.trigger_segment_id == event.payload.segment_id,
            CampaignRow.status == "active",
        )
    )
    for campaign in campaigns:
        await _decide(uow, campaign, event)


async def _decide(uow: UnitOfWork, campaign: CampaignRow, event: SegmentEntered) -> None:
    key = derived_id("outreach", campaign.id, event.client_id, event.event_id)
    if await uow.session.get(DecisionRow, key) is not None:
        return
    held_out = in_holdout(campaign.id, event.client_id, campaign.holdout_percent)
    now = uow.clock.now()
    uow.session.add(
        DecisionRow(
            idempotency_key=key,
            campaign_id=campaign.id,
            client_id=event.client_id,
            decision="held_out" if held_out else "requested",
            trigger_event_id=event.event_id,
            decided_at=now,
        )
    )
    envelope = {
        "event_id": derived_id("decision", key),
        "occurred_at": now,
        "client_id": event.client_id,
    }
    if held_out:
        uow.emit(
            OUTREACH_TOPIC,
            OutreachHeldOut(
                **envelope,
                payload=OutreachHeldOutPayload(
                    idempotency_key=key,
                    campaign_id=campaign.id,
                    campaign_name=campaign.name,
                    trigger_event_id=event.event_id,
                ),
            ),
        )
        return
    uow.emit(
        OUTREACH_TOPIC,
        OutreachRequested(
            **envelope,
            payload=OutreachRequestedPayload(
                idempotency_key=key,
                campaign_id=campaign.id,
                campaign_name=campaign.name,
                channel=campaign.channel,
                purpose=campaign.purpose,
                subject=campaign.subject,
                body=campaign.body,
                trigger_event_id=event.event_id,
                variables={"client_id": event.client_id, "segment": event.payload.segment_name},
            ),
        ),
    )


SUBSCRIPTIONS = {"reach.segment-memberships.v1": {"segment.entered": on_segment_entered}}
