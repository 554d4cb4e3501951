"""Campaign results over HTTP, for BI analysts: results, funnel, uplift, daily series,
attribution across campaigns, conversion paths, and the BI datasets (api/bi.py)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from reach_runtime.auth import STAFF, Role, allow
from reach_runtime.errors import NotFound
from reach_runtime.http import Session

from reach_analytics.adapters import paths as path_reports
from reach_analytics.adapters import reports
from reach_analytics.adapters.attribution import campaign_credits
from reach_analytics.adapters.reports import CampaignReport
from reach_analytics.api.bi import router as bi_router
from reach_analytics.domain.uplift import Comparison, GroupResult

campaigns = APIRouter(prefix="/campaigns", tags=["results"])


class GroupOut(BaseModel):
    clients: int
    converted: int
    rate: float | None

    @classmethod
    def of(cls, group: GroupResult) -> GroupOut:
        return cls(clients=group.clients, converted=group.converted, rate=group.rate)


class CampaignResultOut(BaseModel):
    campaign_id: str
    campaign_name: str
    goal_event: str | None = Field(
        description="The goal conversions are counted by (the campaign's primary event, or a "
        "derived goal: first_trade, valid_account, assets_growth)"
    )
    requested: int
    held_out: int
    sent: int
    failed: int
    suppressed: int = Field(description="Sends the notifier refused (consent, rate, no contact)")
    suppressed_by_gate: int = Field(description="Decisions a campaign protection gate stopped")
    receipts: dict[str, int] = Field(
        description="Receipts after the send, once per status and send: delivered, opened, "
        "clicked, failed; advisor call outcomes reached, no_answer, declined, callback"
    )
    treated: GroupOut
    holdout: GroupOut
    uplift: float | None = Field(description="Treated rate minus holdout rate")
    relative_uplift: float | None = Field(description="Uplift divided by the holdout rate")
    uplift_ci_low: float | None = Field(description="95% interval of the uplift (Newcombe)")
    uplift_ci_high: float | None
    small_sample: bool = Field(
        description="An arm under 30 clients, or under 5 conversions or non-conversions"
    )
    converted_amount: float = Field(
        description="CNY: the goal events' amounts within the treated clients' windows, as a "
        "JSON number (deposits, purchases, trades; growth of total assets)"
    )
    attribution_window_days: float


def _out(report: CampaignReport, default_window: float) -> CampaignResultOut:
    c = report.comparison
    return CampaignResultOut(
        campaign_id=report.campaign_id,
        campaign_name=report.campaign_name,
        goal_event=report.goal_event,
        requested=report.requested,
        held_out=report.held_out,
        sent=report.sent,
        failed=report.failed,
        suppressed=report.suppressed,
        suppressed_by_gate=report.suppressed_by_gate,
        receipts=report.receipts,
        treated=GroupOut.of(c.treated),
        holdout=GroupOut.of(c.holdout),
        uplift=c.absolute,
        relative_uplift=c.relative,
        uplift_ci_low=c.ci_low,
        uplift_ci_high=c.ci_high,
        small_sample=c.small_sample,
        converted_amount=float(report.converted_amount),
        attribution_window_days=report.window_days or default_window,
    )


def _default_window(request: Request) -> float:
    return float(request.app.state.runtime.settings.attribution_window_days)


@campaigns.get("", response_model=list[CampaignResultOut], summary="Results of every campaign")
async def list_results(request: Request, session: Session) -> list[CampaignResultOut]:
    found = [await reports.campaign_report(session, c) for c in await reports.campaign_ids(session)]
    return [_out(r, _default_window(request)) for r in found if r is not None]


async def _report(session: Session, campaign_id: str) -> CampaignReport:
    report = await reports.campaign_report(session, campaign_id)
    if report is None:
        raise NotFound(f"no outreach recorded for campaign {campaign_id!r}", field="campaign_id")
    return report


@campaigns.get(
    "/{campaign_id}", response_model=CampaignResultOut, summary="Results of one campaign"
)
async def get_result(campaign_id: str, request: Request, session: Session) -> CampaignResultOut:
    return _out(await _report(session, campaign_id), _default_window(request))


class StageOut(BaseModel):
    stage: str
    count: int


class StoppedOut(BaseModel):
    gate: str = Field(description="The campaign gate, or 'notifier' for a send it refused")
    reason: str
    count: int


class CallsOut(BaseModel):
    reached: int
    no_answer: int
    declined: int
    callback: int


class FunnelOut(BaseModel):
    campaign_id: str
    stages: list[StageOut] = Field(
        description="eligible (every decision) = requested + held_out + suppressed; then sent, "
        "delivered, opened, clicked, converted (treated clients who reached the goal)"
    )
    stopped: list[StoppedOut]
    calls: CallsOut


@campaigns.get("/{campaign_id}/funnel", response_model=FunnelOut, summary="A campaign's funnel")
async def get_funnel(campaign_id: str, session: Session) -> FunnelOut:
    found = await reports.funnel(session, campaign_id)
    if found is None:
        raise NotFound(f"no outreach recorded for campaign {campaign_id!r}", field="campaign_id")
    return FunnelOut(
        campaign_id=campaign_id,
        stages=[StageOut(stage=s, count=n) for s, n in found.stages],
        stopped=[StoppedOut(gate=g, reason=r, count=n) for g, r, n in found.stopped],
        calls=CallsOut(**found.calls),
    )


class UpliftRowOut(BaseModel):
    key: str = Field(
        description="The campaign id, or the variant, channel, script version or "
        "segment; '(none)' when the touches carry no value"
    )
    treated: GroupOut
    holdout: GroupOut
    holdout_scope: Literal["same_key", "campaign"] = Field(
        description="same_key: the held-out clients with this key; campaign: the whole holdout"
    )
    absolute_uplift: float | None
    relative_uplift: float | None
    ci_low: float | None
    ci_high: float | None
    small_sample: bool
    converted_amount: float


class UpliftOut(BaseModel):
    campaign_id: str
    by: str
    goal_event: str | None
    window_days: float | None
    rows: list[UpliftRowOut]


def _row(key: str, c: Comparison, scope: str, amount: float) -> UpliftRowOut:
    return UpliftRowOut(
        key=key,
        treated=GroupOut.of(c.treated),
        holdout=GroupOut.of(c.holdout),
        holdout_scope=scope,  # type: ignore[arg-type]
        absolute_uplift=c.absolute,
        relative_uplift=c.relative,
        ci_low=c.ci_low,
        ci_high=c.ci_high,
        small_sample=c.small_sample,
        converted_amount=amount,
    )


@campaigns.get("/{campaign_id}/uplift", response_model=UpliftOut, summary="Uplift against holdout")
async def get_uplift(
    campaign_id: str,
    session: Session,
    by: Literal["campaign", "variant", "channel", "script_version", "segment"] = "campaign",
) -> UpliftOut:
    counts = await reports.campaign_counts(session, campaign_id)
    if counts is None:
        raise NotFound(f"no outreach recorded for campaign {campaign_id!r}", field="campaign_id")
    goal, window = reports.goal_of(counts)
    rows = reports.uplift_of(campaign_id, counts, by)
    return UpliftOut(
        campaign_id=campaign_id,
        by=by,
        goal_event=goal,
        window_days=window,
        rows=[_row(r.key, r.comparison, r.holdout_scope, float(r.converted_amount)) for r in rows],
    )


class DayOut(BaseModel):
    day: str = Field(description="YYYY-MM-DD in Asia/Shanghai")
    requested: int
    held_out: int
    suppressed: int
    sent: int
    delivered: int
    converted: int


class DailyOut(BaseModel):
    campaign_id: str
    days: list[DayOut]


@campaigns.get("/{campaign_id}/daily", response_model=DailyOut, summary="A campaign day by day")
async def get_daily(campaign_id: str, session: Session) -> DailyOut:
    days = await reports.daily(session, campaign_id)
    if days is None:
        raise NotFound(f"no outreach recorded for campaign {campaign_id!r}", field="campaign_id")
    return DailyOut(campaign_id=campaign_id, days=[DayOut(**d) for d in days])


class CreditOut(BaseModel):
    conversions: int = Field(description="Goal events credited to this campaign in this view")
    clients: int
    amount: float
    shared: int = Field(description="Of those, events that another campaign's window held too")
    touched_conversions: int = Field(
        description="Goal events in this campaign's windows, credited to it or not"
    )


class AttributionOut(BaseModel):
    campaign_id: str
    view: str
    goal_event: str | None
    credited: CreditOut
    lost_to: dict[str, int] = Field(
        description="Campaign id -> goal events in this campaign's window credited to that one"
    )


@campaigns.get(
    "/{campaign_id}/attribution",
    response_model=AttributionOut,
    summary="Conversions credited when several campaigns touched a client",
)
async def get_attribution(
    campaign_id: str,
    session: Session,
    view: Literal["first_touch", "last_touch"] = "last_touch",
) -> AttributionOut:
    report = await _report(session, campaign_id)
    result = await campaign_credits(session, campaign_id, view)
    return AttributionOut(
        campaign_id=campaign_id,
        view=view,
        goal_event=report.goal_event,
        credited=CreditOut(**result.credited),
        lost_to=result.lost_to,
    )


paths = APIRouter(tags=["results"])


class PathOut(BaseModel):
    steps: list[str]
    clients: int
    median_hours_between: list[float] = Field(
        description="Median hours from each step to the next, one fewer than the steps"
    )


class PathsOut(BaseModel):
    steps_considered: list[str]
    paths: list[PathOut]


@paths.get("/paths", response_model=PathsOut, summary="Conversion paths and time between steps")
async def get_paths(
    session: Session,
    min_clients: int = Query(default=1, ge=1, le=1_000_000, description="hide rarer paths"),
) -> PathsOut:
    found = await path_reports.conversion_paths(session)
    return PathsOut(
        steps_considered=list(path_reports.STEPS),
        paths=[
            PathOut(steps=list(p.steps), clients=p.clients, median_hours_between=p.median_hours)
            for p in found
            if p.clients >= min_clients
        ],
    )


# Results are for BI and staff; they hold no contact details (domain/privacy.py).
router = APIRouter(dependencies=[allow(*STAFF, Role.bi_reader)])
router.include_router(campaigns)
router.include_router(paths)
router.include_router(bi_router)
