"""Campaigns over HTTP: the eight elements, versions, maker-checker, import and export."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Body, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from reach_runtime.auth import STAFF, Role, allow
from reach_runtime.http import Session, Uow
from sqlalchemy import select

from reach_campaign.api.actor import Compliance, Editor, Stopper
from reach_campaign.api.documents import documented, dump, load, parse_model, parse_spec
from reach_campaign.api.params import MAX_VERSION, Review, VersionNumber
from reach_campaign.db.tables import CampaignRow, CampaignVersionRow
from reach_campaign.domain.model import CampaignSpec, OneMessageCampaign
from reach_campaign.handlers import campaigns as handle

router = APIRouter(
    prefix="/campaigns", tags=["campaigns"], dependencies=[allow(*STAFF, Role.bi_reader)]
)
Status = Literal["draft", "pending_approval", "active", "paused", "ended"]


EXAMPLES = {
    "eight elements": {
        "summary": "A campaign document (docs/campaigns.md)",
        "value": {
            "name": "稳健债券基金推荐",
            "goal": {"primary_event": "product.purchased", "attribution_window_days": 14},
            "audience": {"exclude_segments": ["SEG-loss-care"]},
            "service": {"purpose": "marketing", "item_id": "F006011"},
            "scene": {"kind": "segment_entered", "segment_id": "SEG-near-bar"},
            "touchpoint": {"channels": ["sms"]},
            "script": {"variants": [{"channel": "sms", "script_id": "S1", "version": 1}]},
            "evaluation": {"holdout_percent": 10},
        },
    },
    "event scene": {
        "summary": "An advisor call when half the assets or more leave at once",
        "value": {
            "name": "大额转出即时回访",
            "goal": {"primary_event": "funds.transferred", "attribution_window_days": 30},
            "service": {"purpose": "service"},
            "scene": {
                "kind": "event",
                "event_type": "funds.transferred",
                "conditions": [
                    {"field": "direction", "op": "eq", "value": "out"},
                    {"field": "share_of_assets", "op": "gte", "value": 0.5},
                ],
            },
            "touchpoint": {"channels": ["advisor_task"], "priority": 95},
            "script": {"variants": [{"channel": "advisor_task", "script_id": "S2", "version": 1}]},
        },
    },
    "one message": {
        "summary": "The one-message form (service notices and care)",
        "value": {
            "name": "first-trade thank you",
            "trigger_segment_id": "SEG-first-trade",
            "channel": "email",
            "purpose": "service",
            "subject": "Thank you",
            "body": "Dear client {client_id}, thank you for trading with us.",
            "holdout_percent": 10,
        },
    },
}


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    status: str = Field(description="draft, pending_approval, approved, rejected")
    author: str
    created_at: datetime
    submitted_by: str | None
    submitted_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None
    spec: dict[str, Any] = Field(description="the eight elements (docs/campaigns.md)")


class CampaignOut(BaseModel):
    id: str
    name: str
    status: Status
    live_version: int | None = Field(description="the version that fires")
    latest_version: int
    created_by: str
    created_at: datetime
    activated_at: datetime | None
    ended_at: datetime | None
    latest: VersionOut


async def _out(session: Any, campaign: CampaignRow) -> CampaignOut:
    latest = await handle.get_version(session, campaign.id, campaign.latest_version)
    return CampaignOut(
        id=campaign.id,
        name=campaign.name,
        status=cast(Status, campaign.status),
        live_version=campaign.live_version,
        latest_version=campaign.latest_version,
        created_by=campaign.created_by,
        created_at=campaign.created_at,
        activated_at=campaign.activated_at,
        ended_at=campaign.ended_at,
        latest=VersionOut.model_validate(latest),
    )


@router.post(
    "",
    response_model=CampaignOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a campaign as a draft (the eight elements, or the one-message form)",
    openapi_extra=documented(CampaignSpec, OneMessageCampaign),
)
async def post_campaign(
    document: Annotated[
        dict[str, Any],
        Body(description="a campaign document, or the one-message form", openapi_examples=EXAMPLES),
    ],
    uow: Uow,
    actor: Editor,
) -> CampaignOut:
    if "trigger_segment_id" in document:
        message = parse_model(OneMessageCampaign, document)
        campaign = await handle.create_message_campaign(uow=uow, actor=actor, message=message)
    else:
        campaign = await handle.create_campaign(uow=uow, actor=actor, spec=parse_spec(document))
    return await _out(uow.session, campaign)


@router.post(
    "/import",
    response_model=CampaignOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a draft from an exported document (JSON, or YAML by Content-Type)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/yaml": {"schema": {"type": "string"}},
            },
        }
    },
)
async def import_campaign(request: Request, uow: Uow, actor: Editor) -> CampaignOut:
    document = load(await request.body(), request.headers.get("content-type", ""))
    campaign = await handle.create_campaign(uow=uow, actor=actor, spec=parse_spec(document))
    return await _out(uow.session, campaign)


@router.get("", response_model=list[CampaignOut], summary="Campaigns, optionally by status")
async def list_campaigns(session: Session, status: Status | None = None) -> list[CampaignOut]:
    query = select(CampaignRow).order_by(CampaignRow.created_at)
    if status is not None:
        query = query.where(CampaignRow.status == status)
    return [await _out(session, c) for c in await session.scalars(query)]


@router.get("/{campaign_id}", response_model=CampaignOut, summary="One campaign")
async def get_campaign(campaign_id: str, session: Session) -> CampaignOut:
    return await _out(session, await handle.get_campaign(session, campaign_id))


@router.put(
    "/{campaign_id}",
    response_model=VersionOut,
    summary="Edit: a draft in place, otherwise a new draft version (approved ones never change)",
    openapi_extra=documented(CampaignSpec),
)
async def put_campaign(
    campaign_id: str, document: Annotated[dict[str, Any], Body()], uow: Uow, actor: Editor
) -> CampaignVersionRow:
    spec = parse_spec(document)
    return await handle.edit_campaign(uow=uow, actor=actor, campaign_id=campaign_id, spec=spec)


@router.get("/{campaign_id}/versions", response_model=list[VersionOut], summary="Every version")
async def list_versions(campaign_id: str, session: Session) -> list[CampaignVersionRow]:
    await handle.get_campaign(session, campaign_id)
    return await handle.versions(session, campaign_id)


@router.get("/{campaign_id}/versions/{version}", response_model=VersionOut, summary="One version")
async def get_version(
    campaign_id: str, version: VersionNumber, session: Session
) -> CampaignVersionRow:
    return await handle.get_version(session, campaign_id, version)


@router.get(
    "/{campaign_id}/export",
    summary="The campaign's document (latest version unless `version` is given)",
    response_class=Response,
    responses={200: {"content": {"application/json": {}, "application/yaml": {}}}},
)
async def export_campaign(
    campaign_id: str,
    session: Session,
    format: Literal["json", "yaml"] = "json",
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
) -> Response:
    campaign = await handle.get_campaign(session, campaign_id)
    row = await handle.get_version(session, campaign.id, version or campaign.latest_version)
    media = "application/yaml" if format == "yaml" else "application/json"
    return Response(dump(row.spec, format), media_type=f"{media}; charset=utf-8")


@router.post("/{campaign_id}/submit", response_model=CampaignOut, summary="Ask for approval")
async def submit(campaign_id: str, uow: Uow, actor: Editor) -> CampaignOut:
    campaign = await handle.submit_campaign(uow=uow, actor=actor, campaign_id=campaign_id)
    return await _out(uow.session, campaign)


@router.post(
    "/{campaign_id}/approve",
    response_model=CampaignOut,
    summary="Approve the pending version (not by its author); it goes live",
)
async def approve(
    campaign_id: str, uow: Uow, actor: Compliance, review: Review | None = None
) -> CampaignOut:
    return await _review(campaign_id, uow, actor, review, approve=True)


@router.post(
    "/{campaign_id}/reject", response_model=CampaignOut, summary="Reject the pending version"
)
async def reject(
    campaign_id: str, uow: Uow, actor: Compliance, review: Review | None = None
) -> CampaignOut:
    return await _review(campaign_id, uow, actor, review, approve=False)


async def _review(
    campaign_id: str, uow: Uow, actor: str, review: Review | None, *, approve: bool
) -> CampaignOut:
    note = review.note if review else None
    campaign = await handle.review_campaign(
        uow=uow, actor=actor, campaign_id=campaign_id, approve=approve, note=note
    )
    return await _out(uow.session, campaign)


@router.post(
    "/{campaign_id}/activate",
    response_model=CampaignOut,
    summary="Resume a paused campaign, or put a service notice's draft live",
)
async def activate(campaign_id: str, uow: Uow, actor: Editor) -> CampaignOut:
    campaign = await handle.activate_campaign(uow=uow, actor=actor, campaign_id=campaign_id)
    return await _out(uow.session, campaign)


@router.post("/{campaign_id}/pause", response_model=CampaignOut, summary="Stop firing for now")
async def pause(campaign_id: str, uow: Uow, actor: Stopper) -> CampaignOut:
    campaign = await handle.pause_campaign(uow=uow, actor=actor, campaign_id=campaign_id)
    return await _out(uow.session, campaign)


@router.post("/{campaign_id}/end", response_model=CampaignOut, summary="Stop for good")
async def end(campaign_id: str, uow: Uow, actor: Stopper) -> CampaignOut:
    campaign = await handle.end_campaign(uow=uow, actor=actor, campaign_id=campaign_id)
    return await _out(uow.session, campaign)
