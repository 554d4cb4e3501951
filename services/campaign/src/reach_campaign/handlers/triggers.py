"""The trigger engine: segment entered or exited, upstream event patterns with conditions, "did A
but not B within N days", inactivity, and schedules (trading days, festivals, dates). Each occurrence is decided once per live campaign
(handlers/decisions.py); what is due at once is released in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from reach_contracts import Event, SegmentEntered, SegmentExited
from reach_runtime.uow import UnitOfWork
from sqlalchemy import and_, exists, select

from reach_campaign.adapters.clients import ClientState
from reach_campaign.db.tables import (
    CampaignRow,
    CampaignTriggerRow,
    CampaignVersionRow,
    ClientActivityRow,
    ClientPortraitRow,
    DecisionRow,
    ScheduleRunRow,
    SegmentMembershipRow,
)
from reach_campaign.domain.conditions import facts, matches
from reach_campaign.domain.gate import Caps
from reach_campaign.domain.model import (
    CampaignSpec,
    Delay,
    DidNotScene,
    EventScene,
    InactivityScene,
    ScheduleScene,
    UpstreamEvent,
)
from reach_campaign.domain.timing import (
    birthdays_on,
    cron_instants,
    local_day,
    occasion,
    slot,
)
from reach_campaign.handlers.decisions import (
    Live,
    Occurrence,
    decide,
    decided,
    decision_key,
    portrait_of,
    release_all,
)

Handler = Callable[[Any, UnitOfWork], Any]


async def live_campaigns(uow: UnitOfWork, kind: str, key: str) -> list[Live]:
    """Active campaigns whose live version listens to (kind, key), cached for the transaction."""
    cache_key = f"live:{kind}:{key}"
    if cache_key not in uow.cache:
        rows = await uow.session.execute(
            select(CampaignRow, CampaignVersionRow)
            .join(CampaignTriggerRow, CampaignTriggerRow.campaign_id == CampaignRow.id)
            .join(
                CampaignVersionRow,
                and_(
                    CampaignVersionRow.campaign_id == CampaignRow.id,
                    CampaignVersionRow.version == CampaignRow.live_version,
                ),
            )
            .where(
                CampaignTriggerRow.kind == kind,
                CampaignTriggerRow.key == key,
                CampaignRow.status == "active",
            )
        )
        uow.cache[cache_key] = [
            Live(c, v.version, CampaignSpec.model_validate(v.spec)) for c, v in rows.all()
        ]
    return uow.cache[cache_key]


async def fire(uow: UnitOfWork, caps: Caps, pairs: list[tuple[Live, Occurrence]]) -> None:
    """Decide each (campaign, occurrence); release together what is due now, by priority."""
    if not pairs:
        return
    keys = [decision_key(live, occurrence) for live, occurrence in pairs]
    taken = await decided(uow, keys)
    rows = []
    for (live, occurrence), key in zip(pairs, keys, strict=True):
        if key not in taken:
            taken.add(key)
            rows.append(await decide(uow, live, occurrence, key))
    now = uow.clock.now()
    due = [r for r in rows if r.decision == "scheduled" and r.due_at and r.due_at <= now]
    await release_all(uow, due, caps)


def segment_handlers(caps: Caps) -> dict[str, Handler]:
    async def on_entered(event: SegmentEntered, uow: UnitOfWork) -> None:
        """Remember the membership, then every active campaign with this scene decides."""
        await ClientState.of(uow).moved(
            event.client_id, event.payload.segment_id, entered_at=event.occurred_at
        )
        await _membership(uow, caps, "segment_entered", event)

    async def on_exited(event: SegmentExited, uow: UnitOfWork) -> None:
        await ClientState.of(uow).moved(event.client_id, event.payload.segment_id, entered_at=None)
        await _membership(uow, caps, "segment_exited", event)

    return {"segment.entered": on_entered, "segment.exited": on_exited}


async def _membership(
    uow: UnitOfWork, caps: Caps, kind: str, event: SegmentEntered | SegmentExited
) -> None:
    occurrence = Occurrence(
        kind=kind,
        event_id=event.event_id,
        client_id=event.client_id,
        occurred_at=event.occurred_at,
        context={"segment": event.payload.segment_name},
    )
    lives = await live_campaigns(uow, kind, event.payload.segment_id)
    await fire(uow, caps, [(live, occurrence) for live in lives])


def event_handler(caps: Caps) -> Handler:
    async def on_event(event: Event, uow: UnitOfWork) -> None:
        """Update what the client did, then fire event and did-A-not-B scenes that match."""
        before = await ClientState.of(uow).did(event.client_id, event.event_type, event.occurred_at)
        first_ever = before is None or before.count == 0
        previous = before.last_at if before else None
        pairs = []
        for kind in ("event", "did_not"):
            for live in await live_campaigns(uow, kind, event.event_type):
                scene = live.spec.scene
                assert isinstance(scene, EventScene | DidNotScene)
                portrait = await portrait_of(uow, event.client_id)
                known = facts(event, portrait, first_ever=first_ever, previous=previous)
                if not matches(scene.conditions, known):
                    continue
                context: dict[str, Any] = {"event_type": event.event_type}
                if isinstance(scene, DidNotScene):
                    context |= {
                        "unless_event": scene.then_not,
                        "unless_since": str(event.occurred_at),
                    }
                    live = _delayed(live, scene.within_days)
                pairs.append(
                    (
                        live,
                        Occurrence(
                            kind=kind,
                            event_id=event.event_id,
                            client_id=event.client_id,
                            occurred_at=event.occurred_at,
                            context=context,
                        ),
                    )
                )
        await fire(uow, caps, pairs)

    return on_event


def _delayed(live: Live, days: int) -> Live:
    """A did-A-not-B scene waits `within_days` after A (plus its own delay) before it is due."""
    scene = live.spec.scene
    assert isinstance(scene, DidNotScene)
    delay = Delay(minutes=days * 24 * 60 + (scene.delay.minutes if scene.delay else 0))
    spec = live.spec.model_copy(update={"scene": scene.model_copy(update={"delay": delay})})
    return Live(live.campaign, live.version, spec)


async def sweep_inactivity(uow: UnitOfWork, caps: Caps, *, limit: int = 1000) -> int:
    """Fire inactivity scenes for clients quiet for their `days`, once per quiet spell."""
    rows = await uow.session.execute(
        select(CampaignTriggerRow.key).where(CampaignTriggerRow.kind == "inactivity").distinct()
    )
    fired = 0
    now = uow.clock.now()
    for (event_type,) in rows.all():
        for live in await live_campaigns(uow, "inactivity", event_type):
            scene = live.spec.scene
            assert isinstance(scene, InactivityScene)
            quiet = await uow.session.scalars(
                select(ClientActivityRow)
                .where(
                    ClientActivityRow.event_type == event_type,
                    ClientActivityRow.last_at <= now - timedelta(days=scene.days),
                    ~exists().where(
                        DecisionRow.campaign_id == live.campaign.id,
                        DecisionRow.client_id == ClientActivityRow.client_id,
                        DecisionRow.trigger_kind == "inactivity",
                        DecisionRow.occurred_at > ClientActivityRow.last_at,
                    ),
                )
                .limit(limit)
            )
            pairs = [(live, _quiet_spell(activity, scene.days, event_type)) for activity in quiet]
            await fire(uow, caps, pairs)
            fired += len(pairs)
    await uow.commit()
    return fired


def _quiet_spell(activity: ClientActivityRow, days: int, event_type: UpstreamEvent) -> Occurrence:
    became_quiet: datetime = activity.last_at + timedelta(days=days)
    return Occurrence(
        kind="inactivity",
        event_id=f"inactive:{event_type}:{activity.client_id}:{activity.last_at.isoformat()}"[:128],
        client_id=activity.client_id,
        occurred_at=became_quiet,
        context={"event_type": event_type, "days": str(days)},
    )


async def sweep_schedules(uow: UnitOfWork, caps: Caps) -> int:
    """Fire schedule scenes whose slot (today's or yesterday's, after activation) has come,
    each slot once, for the members of the first audience segment."""
    rows = await uow.session.execute(
        select(CampaignTriggerRow.key).where(CampaignTriggerRow.kind == "schedule").distinct()
    )
    now, fired = uow.clock.now(), 0
    today = local_day(now)
    for (key,) in rows.all():
        for live in await live_campaigns(uow, "schedule", key):
            scene = live.spec.scene
            assert isinstance(scene, ScheduleScene)
            if scene.days == "cron":
                fired += await _fire_cron(uow, caps, live, now)
                continue
            for day in (today - timedelta(days=1), today):
                name = occasion(day, scene)
                at = slot(day, scene)
                started = live.campaign.activated_at
                if name is None or at > now or (started is not None and at < started):
                    continue
                if await uow.session.get(ScheduleRunRow, (live.campaign.id, day)) is not None:
                    continue
                members = list(
                    await uow.session.scalars(
                        select(SegmentMembershipRow.client_id).where(
                            SegmentMembershipRow.segment_id == live.spec.audience.segments[0]
                        )
                    )
                )
                prefix = "schedule"
                if scene.days == "birthdays":
                    members, prefix = await _born_on(uow, members, day), "birthday"
                pairs = [
                    (
                        live,
                        Occurrence(
                            kind="schedule",
                            event_id=f"{prefix}:{day.isoformat()}",
                            client_id=client_id,
                            occurred_at=at,
                            context={"occasion": name},
                        ),
                    )
                    for client_id in members
                ]
                await fire(uow, caps, pairs)
                uow.session.add(
                    ScheduleRunRow(
                        campaign_id=live.campaign.id, day=day, fired_at=now, clients=len(pairs)
                    )
                )
                fired += len(pairs)
    await uow.commit()
    return fired


async def _born_on(uow: UnitOfWork, members: list[str], day: date) -> list[str]:
    """The members whose stored portrait has a birthday greeted on `day` (asked of the
    database: only the clients born that day come back, not every member's portrait)."""
    greeted = sorted(birthdays_on(day))
    born = set(
        await uow.session.scalars(
            select(ClientPortraitRow.client_id).where(
                ClientPortraitRow.fields["birthday"].as_string().in_(greeted)
            )
        )
    )
    return [client_id for client_id in members if client_id in born]


async def _fire_cron(uow: UnitOfWork, caps: Caps, live: Live, now: datetime) -> int:
    """Fire each cron instant of the last day (after activation) not yet fired, for the
    members of the first audience segment; the instant is the occurrence id."""
    scene = live.spec.scene
    assert isinstance(scene, ScheduleScene) and scene.cron is not None
    started = live.campaign.activated_at
    after = now - timedelta(days=1)
    if started is not None and started > after:
        after = started - timedelta(microseconds=1)
    fired = 0
    for instant in cron_instants(scene.cron, after, now):
        event_id = f"cron:{instant.isoformat()}"
        done = await uow.session.scalar(
            select(
                exists().where(
                    DecisionRow.campaign_id == live.campaign.id,
                    DecisionRow.trigger_event_id == event_id,
                )
            )
        )
        if done:
            continue
        members = await uow.session.scalars(
            select(SegmentMembershipRow.client_id).where(
                SegmentMembershipRow.segment_id == live.spec.audience.segments[0]
            )
        )
        context = {"occasion": instant.isoformat()}
        pairs = [
            (
                live,
                Occurrence(
                    kind="schedule",
                    event_id=event_id,
                    client_id=client_id,
                    occurred_at=instant,
                    context=context,
                ),
            )
            for client_id in list(members)
        ]
        await fire(uow, caps, pairs)
        fired += len(pairs)
    return fired
