"""Campaigns over HTTP, for marketing and client-operations staff."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field
from reach_contracts import Channel, Purpose
from reach_runtime.errors import NotFound
from reach_runtime.http import Session, Uow
from sqlalchemy import select

from reach_campaign.db.tables import CampaignRow
from reach_campaign.handlers.campaigns import create_campaign, set_status

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


class CampaignIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    trigger_segment_id: str = Field(
        min_length=1, max_length=36, description="fires when a client enters it"
    )
    channel: Channel
    purpose: Purpose = Purpose.MARKETING
    subject: str | None = Field(default=None, max_length=200)
    body: str = Field(min_length=1, max_length=4000, description="template; {client_id}, {segment}")
    holdout_percent: float = Field(default=10.0, ge=0, le=50, description="control group share")


class CampaignOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    status: str
    trigger_segment_id: str
    channel: Channel
    purpose: Purpose
    subject: str | None
    body: str
    holdout_percent: float
    created_at: datetime
    activated_at: datetime | None


@router.post(
    "",
    response_model=CampaignOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a campaign as a draft",
)
async def post_campaign(body: CampaignIn, uow: Uow) -> CampaignRow:
    return await create_campaign(uow=uow, **body.model_dump())


@router.post("/{campaign_id}/activate", response_model=CampaignOut, summary="Start firing")
async def activate(campaign_id: str, uow: Uow) -> CampaignRow:
    return await set_status(uow=uow, campaign_id=campaign_id, status="active")


@router.post("/{campaign_id}/pause", response_model=CampaignOut, summary="Stop firing")
async def pause(campaign_id: str, uow: Uow) -> CampaignRow:
    return await set_status(uow=uow, campaign_id=campaign_id, status="paused")


@router.get("", response_model=list[CampaignOut], summary="All campaigns")
async def list_campaigns(session: Session) -> list[CampaignRow]:
    return list(await session.scalars(select(CampaignRow).order_by(CampaignRow.created_at)))


@router.get("/{campaign_id}", response_model=CampaignOut, summary="One campaign")
async def get_campaign(campaign_id: str, session: Session) -> CampaignRow:
    campaign = await session.get(CampaignRow, campaign_id)
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id!r}", field="campaign_id")
    return campaign
