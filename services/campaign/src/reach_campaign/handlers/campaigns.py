"""Commands on campaigns: create as a draft, activate, pause."""

from __future__ import annotations

import uuid

from reach_runtime.errors import Conflict, NotFound
from reach_runtime.uow import UnitOfWork
from sqlalchemy import select

from reach_campaign.db.tables import CampaignRow


async def create_campaign(
    *,
    uow: UnitOfWork,
    name: str,
    trigger_segment_id: str,
    channel: str,
    purpose: str,
    subject: str | None,
    body: str,
    holdout_percent: float,
) -> CampaignRow:
    """A new campaign in draft: it fires nothing until activated."""
    if await uow.session.scalar(select(CampaignRow).where(CampaignRow.name == name)) is not None:
        raise Conflict(f"a campaign named {name!r} exists", field="name")
    campaign = CampaignRow(
        id=str(uuid.uuid4()),
        name=name,
        status="draft",
        trigger_segment_id=trigger_segment_id,
        channel=channel,
        purpose=purpose,
        subject=subject,
        body=body,
        holdout_percent=holdout_percent,
        created_at=uow.clock.now(),
    )
    uow.session.add(campaign)
    await uow.commit()
    return campaign


async def set_status(*, uow: UnitOfWork, campaign_id: str, status: str) -> CampaignRow:
    """Activate or pause; activating stamps the time it started firing."""
    campaign = await uow.session.get(CampaignRow, campaign_id)
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id!r}", field="campaign_id")
    if status == "active" and campaign.status != "active":
        campaign.activated_at = uow.clock.now()
    campaign.status = status
    await uow.commit()
    return campaign
