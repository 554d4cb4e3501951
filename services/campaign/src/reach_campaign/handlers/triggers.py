"""The trigger engine (segment entered or exited, for now): decide, record, and emit each outreach
once. Decisions use the campaign's live version; the audience and exclusions are checked against
the memberships this service has seen."""

from __future__ import annotations

from reach_contracts import (
    OutreachHeldOut,
    OutreachHeldOutPayload,
    OutreachRequested,
    OutreachRequestedPayload,
    SegmentEntered,
    SegmentExited,
)
from reach_contracts import (
    Purpose as ContactPurpose,
)
from reach_runtime.ids import derived_id
from reach_runtime.uow import UnitOfWork
from sqlalchemy import delete, select

from reach_campaign.db.tables import (
    CampaignRow,
    CampaignTriggerRow,
    CampaignVersionRow,
    ClientPortraitRow,
    DecisionRow,
    ScriptVersionRow,
    SegmentMembershipRow,
)
from reach_campaign.domain.assignment import in_holdout, variant_index
from reach_campaign.domain.model import Audience, CampaignSpec, Purpose
from reach_campaign.domain.templates import placeholders, portrait_variables

OUTREACH_TOPIC = "reach.outreach.v1"
Membership = SegmentEntered | SegmentExited


async def on_segment_entered(event: SegmentEntered, uow: UnitOfWork) -> None:
    """Remember the membership, then every active campaign with this scene decides."""
    key = (event.payload.segment_id, event.client_id)
    if await uow.session.get(SegmentMembershipRow, key) is None:
        uow.session.add(
            SegmentMembershipRow(segment_id=key[0], client_id=key[1], entered_at=event.occurred_at)
        )
    await _fire(uow, "segment_entered", event)


async def on_segment_exited(event: SegmentExited, uow: UnitOfWork) -> None:
    await uow.session.execute(
        delete(SegmentMembershipRow).where(
            SegmentMembershipRow.segment_id == event.payload.segment_id,
            SegmentMembershipRow.client_id == event.client_id,
        )
    )
    await _fire(uow, "segment_exited", event)


async def _fire(uow: UnitOfWork, kind: str, event: Membership) -> None:
    campaigns = await uow.session.scalars(
        select(CampaignRow)
        .join(CampaignTriggerRow, CampaignTriggerRow.campaign_id == CampaignRow.id)
        .where(
            CampaignTriggerRow.kind == kind,
            CampaignTriggerRow.key == event.payload.segment_id,
            CampaignRow.status == "active",
        )
    )
    for campaign in list(campaigns):
        await _decide(uow, campaign, event)


async def _decide(uow: UnitOfWork, campaign: CampaignRow, event: Membership) -> None:
    key = derived_id("outreach", campaign.id, event.client_id, event.event_id)
    if await uow.session.get(DecisionRow, key) is not None:
        return
    version = await uow.session.get(CampaignVersionRow, (campaign.id, campaign.live_version))
    assert version is not None, "an active campaign has a live version"
    spec = CampaignSpec.model_validate(version.spec)
    decision = DecisionRow(
        idempotency_key=key,
        campaign_id=campaign.id,
        campaign_version=version.version,
        client_id=event.client_id,
        trigger_event_id=event.event_id,
        decided_at=uow.clock.now(),
    )
    refusal = await _outside_audience(uow, spec.audience, event.client_id)
    if refusal is not None:
        decision.decision, decision.reason = "skipped", refusal
        uow.session.add(decision)
        return
    envelope = {
        "event_id": derived_id("decision", key),
        "occurred_at": decision.decided_at,
        "client_id": event.client_id,
    }
    if in_holdout(campaign.id, event.client_id, spec.evaluation.holdout_percent):
        decision.decision, decision.reason = "held_out", "control group"
        uow.session.add(decision)
        uow.emit(
            OUTREACH_TOPIC,
            OutreachHeldOut(
                **envelope,
                payload=OutreachHeldOutPayload(
                    idempotency_key=key,
                    campaign_id=campaign.id,
                    campaign_name=spec.name,
                    trigger_event_id=event.event_id,
                ),
            ),
        )
        return
    channel = spec.touchpoint.channels[0]  # the protection gate will pick by consent later
    variants = [v for v in spec.script.variants if v.channel == channel]
    chosen = variants[variant_index(campaign.id, event.client_id, [v.weight for v in variants])]
    words = await uow.session.get(ScriptVersionRow, (chosen.script_id, chosen.version))
    assert words is not None, "a live version's scripts exist"
    variables = await _variables(uow, spec, event, f"{words.subject or ''}{words.body}")
    decision.decision, decision.channel, decision.variant = "requested", channel, chosen.variant
    uow.session.add(decision)
    uow.emit(
        OUTREACH_TOPIC,
        OutreachRequested(
            **envelope,
            payload=OutreachRequestedPayload(
                idempotency_key=key,
                campaign_id=campaign.id,
                campaign_name=spec.name,
                variant=chosen.variant,
                channel=channel,
                purpose=_contact_purpose(spec.service.purpose),
                subject=words.subject,
                body=words.body,
                trigger_event_id=event.event_id,
                variables=variables,
            ),
        ),
    )


def _contact_purpose(purpose: Purpose) -> ContactPurpose:
    """Care is sent under marketing consent; only service notices are service."""
    return ContactPurpose.SERVICE if purpose is Purpose.SERVICE else ContactPurpose.MARKETING


async def _outside_audience(uow: UnitOfWork, audience: Audience, client_id: str) -> str | None:
    for segment_id in audience.segments:
        if await uow.session.get(SegmentMembershipRow, (segment_id, client_id)) is None:
            return f"not in segment {segment_id}"
    for segment_id in audience.exclude_segments:
        if await uow.session.get(SegmentMembershipRow, (segment_id, client_id)) is not None:
            return f"excluded by segment {segment_id}"
    return None


async def _variables(
    uow: UnitOfWork, spec: CampaignSpec, event: Membership, template: str
) -> dict[str, str]:
    """Only the variables the words use: from the event, the campaign and the stored portrait."""
    portrait = await uow.session.get(ClientPortraitRow, event.client_id)
    available = portrait_variables(event.client_id, portrait.fields if portrait else {})
    available |= {"campaign_name": spec.name, "segment": event.payload.segment_name}
    return {name: available[name] for name in placeholders(template) if name in available}


SUBSCRIPTIONS = {
    "reach.segment-memberships.v1": {
        "segment.entered": on_segment_entered,
        "segment.exited": on_segment_exited,
    },
}
