"""The trigger engine: segment entered or exited, upstream event patterns with conditions, "did A
but not B within N days", inactivity, and schedules (trading days, festivals, dates). Each occurrence is decided once per live campaign
(handlers/decisions.py); what is due at once is released in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from reach_contracts import Event, SegmentEntered, SegmentExited
from reach_runtime.uow import UnitOfWork, UnitOfWorkFactory
from sqlalchemy import and_, exists, select

from reach_campaign.adapters.clients import ClientState
from reach_campaign.db.tables import (
    CampaignRow,
    CampaignTriggerRow,
    CampaignVersionRow,
    ClientActivityRow,
    ClientPortraitRow,
    DecisionRow,
    ScheduleSlotRow,
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

    async def load() -> list[Live]:
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
        return [Live(c, v.version, CampaignSpec.model_validate(v.spec)) for c, v in rows.all()]

    return await uow.once(f"live:{kind}:{key}", load)


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
            spells = list(quiet)
            await ClientState.of(uow).load({activity.client_id for activity in spells})
            pairs = [(live, _quiet_spell(activity, scene.days, event_type)) for activity in spells]
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


@dataclass(frozen=True)
class Slot:
    """One firing of a schedule scene, for every member of the first audience segment: a day's
    slot or a cron instant."""

    campaign_id: str
    version: int
    spec: CampaignSpec
    key: str  # the day (2026-12-15) or the cron instant, ISO
    event_id: str  # the occurrence: schedule:<day>, birthday:<day>, cron:<instant>
    at: datetime
    occasion: str
    birthdays: tuple[str, ...] = ()  # only the members born on these days (MM-DD)


async def sweep_schedules(uows: UnitOfWorkFactory, caps: Caps, *, page: int = 1000) -> int:
    """Fire the schedule slots that have come (today's or yesterday's, after activation; cron
    instants of the last day), each once, page by page through the audience: each page of
    `page` members is decided and committed on its own, so a large audience never sits in one
    transaction or in memory, and a restart goes on after the last member fired."""
    async with uows() as uow:
        slots = await _due_slots(uow)
    fired = 0
    for due in slots:
        while True:
            async with uows() as uow:
                count, finished = await _fire_page(uow, caps, due, page)
                await uow.commit()
            fired += count
            if finished:
                break
    return fired


async def _due_slots(uow: UnitOfWork) -> list[Slot]:
    rows = await uow.session.execute(
        select(CampaignTriggerRow.key).where(CampaignTriggerRow.kind == "schedule").distinct()
    )
    now = uow.clock.now()
    today, slots = local_day(now), []
    for (key,) in rows.all():
        for live in await live_campaigns(uow, "schedule", key):
            scene = live.spec.scene
            assert isinstance(scene, ScheduleScene)
            started = live.campaign.activated_at
            fires = (live.campaign.id, live.version, live.spec)
            if scene.days == "cron":
                assert scene.cron is not None
                after = now - timedelta(days=1)
                if started is not None and started > after:
                    after = started - timedelta(microseconds=1)
                slots += [
                    Slot(*fires, i.isoformat(), f"cron:{i.isoformat()}", i, i.isoformat())
                    for i in cron_instants(scene.cron, after, now)
                ]
                continue
            for day in (today - timedelta(days=1), today):
                name, at = occasion(day, scene), slot(day, scene)
                if name is None or at > now or (started is not None and at < started):
                    continue
                birthdays = birthdays_on(day) if scene.days == "birthdays" else ()
                prefix = "birthday" if birthdays else "schedule"
                day_key = day.isoformat()
                slots.append(Slot(*fires, day_key, f"{prefix}:{day_key}", at, name, birthdays))
    finished = set(
        (
            await uow.session.execute(
                select(ScheduleSlotRow.campaign_id, ScheduleSlotRow.slot).where(
                    ScheduleSlotRow.finished_at.is_not(None),
                    ScheduleSlotRow.campaign_id.in_({s.campaign_id for s in slots}),
                )
            )
        ).all()
    )
    return [s for s in slots if (s.campaign_id, s.key) not in finished]


async def _fire_page(uow: UnitOfWork, caps: Caps, due: Slot, page: int) -> tuple[int, bool]:
    """Decide the slot for the next `page` members after the last one fired; (how many, done)."""
    campaign_id, now = due.campaign_id, uow.clock.now()
    campaign = await uow.session.get(CampaignRow, campaign_id)
    if campaign is None or campaign.status != "active" or campaign.live_version != due.version:
        return 0, True  # paused, ended or edited meanwhile: the next sweep looks again
    progress = await uow.session.get(ScheduleSlotRow, (campaign_id, due.key), with_for_update=True)
    if progress is None:
        progress = ScheduleSlotRow(campaign_id=campaign_id, slot=due.key, started_at=now, clients=0)
        uow.session.add(progress)
    if progress.finished_at is not None:  # another replica finished it meanwhile
        return 0, True
    query = (
        select(SegmentMembershipRow.client_id)
        .where(SegmentMembershipRow.segment_id == due.spec.audience.segments[0])
        .order_by(SegmentMembershipRow.client_id)
        .limit(page)
    )
    if progress.after_client is not None:
        query = query.where(SegmentMembershipRow.client_id > progress.after_client)
    if due.birthdays:  # asked of the database: only the members born that day come back
        query = query.join(
            ClientPortraitRow, ClientPortraitRow.client_id == SegmentMembershipRow.client_id
        ).where(ClientPortraitRow.fields["birthday"].as_string().in_(due.birthdays))
    members = list(await uow.session.scalars(query))
    await ClientState.of(uow).load(set(members))
    context = {"occasion": due.occasion}
    await fire(
        uow,
        caps,
        [
            (
                Live(campaign, due.version, due.spec),
                Occurrence("schedule", due.event_id, client_id, due.at, context),
            )
            for client_id in members
        ],
    )
    progress.clients += len(members)
    if members:
        progress.after_client = members[-1]
    if len(members) < page:
        progress.finished_at = now
    return len(members), progress.finished_at is not None
