"""The protection gate over HTTP: every outreach decision with its reason, the global pause,
the caps in force, and the dry run of a campaign version."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from reach_runtime.auth import STAFF, allow
from reach_runtime.errors import NotFound
from reach_runtime.http import Session, Uow, runtime_of
from sqlalchemy import func, select

from reach_campaign.adapters.audit import record, snapshot
from reach_campaign.api.actor import Compliance
from reach_campaign.api.params import MAX_VERSION
from reach_campaign.db.tables import DecisionRow, GateSwitchRow
from reach_campaign.domain.model import NO_NUL, CampaignSpec
from reach_campaign.handlers import campaigns as handle
from reach_campaign.handlers.decisions import GLOBAL_PAUSE
from reach_campaign.handlers.dry_run import dry_run

router = APIRouter(tags=["protection gate"], dependencies=[allow(*STAFF)])
Decision = Literal["requested", "held_out", "suppressed", "skipped", "scheduled"]


class DecisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    idempotency_key: str
    campaign_id: str
    campaign_version: int | None
    client_id: str
    decision: str = Field(description="requested, held_out, suppressed, skipped, scheduled")
    gate: str | None = Field(description="the gate that stopped it, when one did")
    reason: str | None
    channel: str | None
    variant: str | None
    purpose: str | None
    priority: int | None
    trigger_kind: str | None
    trigger_event_id: str
    occurred_at: datetime | None
    decided_at: datetime
    due_at: datetime | None = Field(description="when a scheduled send falls due")
    released_at: datetime | None
    history: list[dict[str, Any]] | None = Field(description="every step: at, step, reason")


@router.get(
    "/decisions",
    response_model=list[DecisionOut],
    summary="Outreach decisions, newest first, with the gate and reason of each",
)
async def list_decisions(
    session: Session,
    campaign_id: Annotated[str | None, Query(max_length=64)] = None,
    client_id: Annotated[str | None, Query(max_length=64)] = None,
    decision: Decision | None = None,
    gate: Annotated[str | None, Query(max_length=32)] = None,
    since: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DecisionRow]:
    query = select(DecisionRow).order_by(DecisionRow.decided_at.desc()).limit(limit)
    for column, value in (
        (DecisionRow.campaign_id, campaign_id),
        (DecisionRow.client_id, client_id),
        (DecisionRow.decision, decision),
        (DecisionRow.gate, gate),
    ):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(DecisionRow.decided_at >= since)
    return list(await session.scalars(query))


@router.get(
    "/decisions/{idempotency_key}", response_model=DecisionOut, summary="One decision by its key"
)
async def get_decision(idempotency_key: str, session: Session) -> DecisionRow:
    row = await session.get(DecisionRow, idempotency_key)
    if row is None:
        raise NotFound(f"no decision {idempotency_key!r}", field="idempotency_key")
    return row


@router.get(
    "/campaigns/{campaign_id}/decisions/summary",
    summary="How many decisions of each kind, and how many each gate stopped",
)
async def summary(campaign_id: str, session: Session) -> dict[str, Any]:
    await handle.get_campaign(session, campaign_id)
    rows = await session.execute(
        select(DecisionRow.decision, DecisionRow.gate, func.count())
        .where(DecisionRow.campaign_id == campaign_id)
        .group_by(DecisionRow.decision, DecisionRow.gate)
    )
    decisions: dict[str, int] = {}
    gates: dict[str, int] = {}
    for decision, gate, count in rows.all():
        decisions[decision] = decisions.get(decision, 0) + count
        if gate is not None:
            gates[gate] = gates.get(gate, 0) + count
    return {"campaign_id": campaign_id, "decisions": decisions, "stopped_by_gate": gates}


class PauseIn(BaseModel):
    paused: bool
    reason: str | None = Field(default=None, max_length=500, pattern=NO_NUL)


class GateOut(BaseModel):
    paused: bool
    reason: str | None
    changed_by: str | None
    changed_at: datetime | None
    caps: dict[str, int] = Field(description="marketing and care caps per client in force")


def _gate_out(request: Request, switch: GateSwitchRow | None) -> GateOut:
    caps = runtime_of(request).settings.caps  # type: ignore[attr-defined]
    return GateOut(
        paused=bool(switch and switch.on),
        reason=switch.reason if switch else None,
        changed_by=switch.changed_by if switch else None,
        changed_at=switch.changed_at if switch else None,
        caps={
            "client_day": caps.client_day,
            "client_week": caps.client_week,
            "channel_day": caps.channel_day,
        },
    )


@router.get("/gate", response_model=GateOut, summary="The global pause and the caps in force")
async def get_gate(request: Request, session: Session) -> GateOut:
    return _gate_out(request, await session.get(GateSwitchRow, GLOBAL_PAUSE))


@router.put(
    "/gate/pause",
    response_model=GateOut,
    summary="Pause (or resume) every outreach; held sends wait and go out on resume",
)
async def put_pause(body: PauseIn, request: Request, uow: Uow, actor: Compliance) -> GateOut:
    switch = await uow.session.get(GateSwitchRow, GLOBAL_PAUSE)
    before = snapshot(switch)
    if switch is None:
        switch = GateSwitchRow(name=GLOBAL_PAUSE)
        uow.session.add(switch)
    switch.on, switch.reason = body.paused, body.reason
    switch.changed_by, switch.changed_at = actor, uow.clock.now()
    record(
        uow,
        actor=actor,
        entity_type="gate",
        entity_id=GLOBAL_PAUSE,
        action="pause" if body.paused else "resume",
        before=before,
        after=switch,
    )
    await uow.commit()
    return _gate_out(request, switch)


@router.post(
    "/campaigns/{campaign_id}/dry-run",
    summary="Who a version (the latest unless `version`) would target now, and what each gate"
    " would stop, with examples; records and sends nothing",
)
async def post_dry_run(
    campaign_id: str,
    request: Request,
    uow: Uow,
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> dict[str, Any]:
    campaign = await handle.get_campaign(uow.session, campaign_id)
    row = await handle.get_version(uow.session, campaign.id, version or campaign.latest_version)
    result = await dry_run(
        uow,
        campaign_id=campaign.id,
        spec=CampaignSpec.model_validate(row.spec),
        caps=runtime_of(request).settings.caps,  # type: ignore[attr-defined]
        limit=limit,
    )
    return {"version": row.version, **result}
