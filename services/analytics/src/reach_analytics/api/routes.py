"""Campaign results over HTTP, for BI analysts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from reach_runtime.errors import NotFound
from reach_runtime.http import Session

from reach_analytics.adapters.reports import CampaignReport, campaign_ids, campaign_report

router = APIRouter(prefix="/campaigns", tags=["results"])


class GroupOut(BaseModel):
    clients: int
    converted: int
    rate: float | None


class CampaignResultOut(BaseModel):
    campaign_id: str
    campaign_name: str
    requested: int
    held_out: int
    sent: int
    failed: int
    suppressed: int
    receipts: dict[str, int] = Field(
        description="Receipts after the send, once per status and send: delivered, opened, "
        "clicked, failed; advisor call outcomes reached, no_answer, declined, callback"
    )
    treated: GroupOut
    holdout: GroupOut
    uplift: float | None
    attribution_window_days: float


def _out(report: CampaignReport, window_days: float) -> CampaignResultOut:
    group = lambda g: GroupOut(clients=g.clients, converted=g.converted, rate=g.rate)  # noqa: E731
    return CampaignResultOut(
        campaign_id=report.campaign_id,
        campaign_name=report.campaign_name,
        requested=report.requested,
        held_out=report.held_out,
        sent=report.sent,
        failed=report.failed,
        suppressed=report.suppressed,
        receipts=report.receipts,
        treated=group(report.treated),
        holdout=group(report.holdout),
        uplift=report.uplift,
        attribution_window_days=window_days,
    )


def _window(request: Request):
    return request.app.state.runtime.settings.attribution_window


@router.get("", response_model=list[CampaignResultOut], summary="Results of every campaign")
async def list_results(request: Request, session: Session) -> list[CampaignResultOut]:
    window = _window(request)
    reports = [
        await campaign_report(session, c, window=window) for c in await campaign_ids(session)
    ]
    return [_out(r, window.total_seconds() / 86400) for r in reports if r is not None]


@router.get("/{campaign_id}", response_model=CampaignResultOut, summary="Results of one campaign")
async def get_result(campaign_id: str, request: Request, session: Session) -> CampaignResultOut:
    window = _window(request)
    report = await campaign_report(session, campaign_id, window=window)
    if report is None:
        raise NotFound(f"no outreach recorded for campaign {campaign_id!r}", field="campaign_id")
    return _out(report, window.total_seconds() / 86400)
