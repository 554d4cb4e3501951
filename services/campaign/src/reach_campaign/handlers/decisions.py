"""Outreach decisions: re-entry and audience, the protection gate, the holdout, then the release
of due sends (send window, caps, arbitration by priority). One DecisionRow per idempotency key
(campaign version, client, occurrence) records the outcome, its gate, its reason and its history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from reach_contracts import (
    Channel,
    FallbackScript,
    OutreachHeldOut,
    OutreachHeldOutPayload,
    OutreachRequested,
    OutreachRequestedPayload,
    OutreachSuppressed,
    OutreachSuppressedPayload,
)
from reach_contracts import Purpose as ContactPurpose
from reach_runtime.ids import derived_id
from reach_runtime.uow import UnitOfWork
from sqlalchemy import select

from reach_campaign.adapters.clients import PICKED, ClientState
from reach_campaign.db.tables import (
    CampaignRow,
    CampaignVersionRow,
    CatalogueItemRow,
    DecisionRow,
    GateSwitchRow,
    ScriptVersionRow,
)
from reach_campaign.domain import gate
from reach_campaign.domain.assignment import in_holdout, variant_index
from reach_campaign.domain.model import Audience, CampaignSpec, Purpose
from reach_campaign.domain.templates import placeholders, portrait_variables
from reach_campaign.domain.timing import due_after, in_window, local_day, next_opening

OUTREACH_TOPIC = "reach.outreach.v1"
GLOBAL_PAUSE = "global_pause"


@dataclass(frozen=True)
class Occurrence:
    """One trigger occurrence for one client: its id (part of the idempotency key) and context."""

    kind: str
    event_id: str
    client_id: str
    occurred_at: datetime
    context: dict[str, Any] = field(default_factory=dict)  # e.g. {"segment": name}


@dataclass(frozen=True)
class Live:
    """An active campaign and the version that fires."""

    campaign: CampaignRow
    version: int
    spec: CampaignSpec


async def portrait_of(uow: UnitOfWork, client_id: str) -> dict[str, Any]:
    return await ClientState.of(uow).portrait(client_id)


async def item_of(uow: UnitOfWork, spec: CampaignSpec) -> gate.Item | None:
    if spec.service.item_id is None:
        return None
    row = await uow.session.get(CatalogueItemRow, spec.service.item_id)
    if row is None:
        return None
    return gate.Item(
        id=row.id, kind=row.kind, risk_level=row.risk_level, eligibility=row.eligibility
    )


async def outside_audience(uow: UnitOfWork, audience: Audience, client_id: str) -> str | None:
    clients = ClientState.of(uow)
    for segment_id in audience.segments:
        if not await clients.in_segment(client_id, segment_id):
            return f"not in segment {segment_id}"
    for segment_id in audience.exclude_segments:
        if await clients.in_segment(client_id, segment_id):
            return f"excluded by segment {segment_id}"
    return None


async def _latest(
    uow: UnitOfWork,
    live: Live,
    client_id: str,
    outcomes: tuple[str, ...],
    when: Callable[[DecisionRow], datetime | None],
) -> datetime | None:
    """The latest `when` of this campaign's decisions for the client with one of `outcomes`."""
    times = [
        at
        for d in await ClientState.of(uow).decisions(client_id)
        if d.campaign_id == live.campaign.id and d.decision in outcomes and (at := when(d))
    ]
    return max(times, default=None)


async def _reentry(uow: UnitOfWork, live: Live, occurrence: Occurrence) -> str | None:
    rule = live.spec.scene.reentry
    if not rule.once and rule.min_days_between == 0:
        return None
    latest = await _latest(uow, live, occurrence.client_id, PICKED, lambda d: d.occurred_at)
    if latest is None:
        return None
    if rule.once:
        return "re-entry: once per client, already picked"
    if latest > occurrence.occurred_at - timedelta(days=rule.min_days_between):
        return f"re-entry: at most once in {rule.min_days_between} days, last {latest:%Y-%m-%d}"
    return None


async def _feedback(uow: UnitOfWork, live: Live, client_id: str) -> str | None:
    """反馈: a client who converted or replied after this campaign's last send is left alone,
    when the campaign says `stop_client`."""
    feedback, watched = live.spec.feedback, []
    if feedback.on_conversion == "stop_client":
        watched.append(("converted", live.spec.goal.primary_event))
    if feedback.on_reply == "stop_client":
        watched.append(("replied", "message.replied"))
    if not watched:
        return None
    last = await _latest(uow, live, client_id, ("requested",), lambda d: d.released_at)
    if last is None:
        return None
    for what, event_type in watched:
        activity = await ClientState.of(uow).activity(client_id, event_type)
        if activity is not None and activity.last_at > last:
            return f"feedback: {what} ({event_type}) after this campaign's last send"
    return None


def _note(row: DecisionRow, at: datetime, step: str, reason: str) -> None:
    row.history = [*(row.history or []), {"at": at.isoformat(), "step": step, "reason": reason}]


def _envelope(row: DecisionRow, at: datetime) -> dict[str, Any]:
    return {
        "event_id": derived_id("decision", row.idempotency_key),
        "occurred_at": at,
        "client_id": row.client_id,
    }


def evaluated(spec: CampaignSpec) -> dict[str, Any]:
    """The goal, window and triggering segment that analytics measures a decision by."""
    return {
        "goal_event": spec.goal.primary_event,
        "attribution_window_days": spec.goal.attribution_window_days,
        "segment_id": getattr(spec.scene, "segment_id", None),
    }


def would_have_sent(spec: CampaignSpec, campaign_id: str, client_id: str) -> dict[str, Any]:
    """For a held-out client: the first channel and the variant it would have had there."""
    channel = spec.touchpoint.channels[0]
    variants = [v for v in spec.script.variants if v.channel == channel]
    if not variants:
        return {"channel": Channel(channel)}
    chosen = variants[variant_index(campaign_id, client_id, [v.weight for v in variants])]
    version = f"{chosen.script_id}@{chosen.version}"
    return {"channel": Channel(channel), "variant": chosen.variant, "script_version": version}


def suppress(uow: UnitOfWork, row: DecisionRow, spec: CampaignSpec, stop: gate.Stop) -> None:
    """A gate stopped it: record why and tell analytics."""
    now = uow.clock.now()
    row.decision, row.gate, row.reason = "suppressed", stop.gate, stop.reason[:200]
    _note(row, now, "suppressed", f"{stop.gate}: {stop.reason}")
    uow.emit(
        OUTREACH_TOPIC,
        OutreachSuppressed(
            **_envelope(row, now),
            payload=OutreachSuppressedPayload(
                idempotency_key=row.idempotency_key,
                campaign_id=row.campaign_id,
                campaign_name=spec.name,
                trigger_event_id=row.trigger_event_id,
                gate=stop.gate,
                reason=stop.reason[:300],
                **evaluated(spec),
            ),
        ),
    )


def decision_key(live: Live, occurrence: Occurrence) -> str:
    """The idempotency key: campaign version, client, occurrence."""
    return derived_id(
        "outreach", live.campaign.id, str(live.version), occurrence.client_id, occurrence.event_id
    )


async def decided(uow: UnitOfWork, keys: list[str]) -> set[str]:
    """The keys already decided (stored, or earlier in this unit of work): one query."""
    taken: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        taken |= set(
            await uow.session.scalars(
                select(DecisionRow.idempotency_key).where(DecisionRow.idempotency_key.in_(chunk))
            )
        )
    return taken


async def decide(uow: UnitOfWork, live: Live, occurrence: Occurrence, key: str) -> DecisionRow:
    """Decide a key not decided before (`decided`); a send that passes is `scheduled` (due now
    or later), for `release`."""
    spec, client_id = live.spec, occurrence.client_id
    now = uow.clock.now()
    row = DecisionRow(
        idempotency_key=key,
        campaign_id=live.campaign.id,
        campaign_version=live.version,
        client_id=client_id,
        trigger_event_id=occurrence.event_id,
        trigger_kind=occurrence.kind,
        occurred_at=occurrence.occurred_at,
        decided_at=now,
        purpose=spec.service.purpose.value,
        priority=spec.touchpoint.priority,
        context=occurrence.context,
        history=[],
    )
    try:
        await _gate(uow, live, occurrence, row)
    finally:
        uow.session.add(row)  # added last: a query in between would flush it half-decided
        await ClientState.of(uow).decided(row)
    return row


async def _gate(uow: UnitOfWork, live: Live, occurrence: Occurrence, row: DecisionRow) -> None:
    spec, client_id, now = live.spec, occurrence.client_id, row.decided_at
    skip = (
        await _reentry(uow, live, occurrence)
        or await _feedback(uow, live, client_id)
        or await outside_audience(uow, spec.audience, client_id)
    )
    if skip is not None:
        row.decision, row.gate, row.reason = "skipped", "audience", skip[:200]
        _note(row, now, "skipped", skip)
        return
    portrait = await portrait_of(uow, client_id)
    stop = first_stop(spec, await item_of(uow, spec), portrait, now)
    if stop is not None:
        suppress(uow, row, spec, stop)
        return
    if in_holdout(live.campaign.id, client_id, spec.evaluation.holdout_percent):
        row.decision, row.reason = "held_out", "control group"
        _note(row, now, "held_out", f"control group ({spec.evaluation.holdout_percent}%)")
        uow.emit(
            OUTREACH_TOPIC,
            OutreachHeldOut(
                **_envelope(row, now),
                payload=OutreachHeldOutPayload(
                    idempotency_key=row.idempotency_key,
                    campaign_id=live.campaign.id,
                    campaign_name=spec.name,
                    trigger_event_id=occurrence.event_id,
                    **evaluated(spec),
                    **would_have_sent(spec, live.campaign.id, client_id),
                ),
            ),
        )
        return
    delay = spec.scene.delay
    row.decision = "scheduled"
    row.due_at = max(now, due_after(occurrence.occurred_at, delay)) if delay else now
    _note(row, now, "scheduled", f"due {row.due_at.isoformat()}")


def first_stop(
    spec: CampaignSpec, item: gate.Item | None, portrait: dict[str, Any], now: datetime
) -> gate.Stop | None:
    """Suitability, the item's eligibility, then consent: the gates that depend on the client."""
    return (
        gate.suitability(item, portrait, local_day(now))
        or gate.eligibility(item, portrait)
        or gate.consent(
            spec.touchpoint.channels, spec.service.purpose, portrait.get("consents", {})
        )[1]
    )


def window_applies(spec: CampaignSpec) -> bool:
    """Marketing and care wait for the send window; service notices only when the campaign says."""
    window = spec.touchpoint.send_window
    return spec.service.purpose is not Purpose.SERVICE or window.applies_to_service


async def paused(uow: UnitOfWork) -> bool:
    """The global pause, read once per unit of work."""

    async def load() -> bool:
        switch = await uow.session.get(GateSwitchRow, GLOBAL_PAUSE)
        return bool(switch and switch.on)

    return await uow.once("paused", load)


async def release_all(uow: UnitOfWork, rows: list[DecisionRow], caps: gate.Caps) -> None:
    """Release due sends, highest priority first, so the caps arbitrate between campaigns."""
    if not rows:
        return
    now = uow.clock.now()
    if await paused(uow):
        for row in rows:
            _note(row, now, "held", "global pause: waits until the pause is lifted")
        return
    winners: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: (-(r.priority or 0), r.decided_at, r.campaign_id)):
        await _release(uow, row, caps, winners)


async def spec_of(uow: UnitOfWork, campaign_id: str, version: int) -> CampaignSpec:
    """A campaign version's elements, parsed once per unit of work."""

    async def load() -> CampaignSpec:
        row = await uow.session.get(CampaignVersionRow, (campaign_id, version))
        assert row is not None
        return CampaignSpec.model_validate(row.spec)

    return await uow.once(f"spec:{campaign_id}:{version}", load)


async def _release(
    uow: UnitOfWork, row: DecisionRow, caps: gate.Caps, winners: dict[str, str]
) -> None:
    now = uow.clock.now()
    campaign = await uow.session.get(CampaignRow, row.campaign_id)
    assert campaign is not None and row.campaign_version is not None
    spec = await spec_of(uow, row.campaign_id, row.campaign_version)
    if campaign.status == "ended":
        suppress(uow, row, spec, gate.Stop("campaign_ended", "the campaign ended first"))
        return
    if campaign.status != "active":
        return  # paused: waits for the campaign to resume
    context = row.context or {}
    if context.get("unless_event"):
        done = await ClientState.of(uow).activity(row.client_id, context["unless_event"])
        if done is not None and done.last_at > datetime.fromisoformat(context["unless_since"]):
            row.decision, row.gate = "skipped", "did_not"
            row.reason = f"did {context['unless_event']} in time"
            _note(row, now, "skipped", row.reason)
            return
    window = spec.touchpoint.send_window
    if window_applies(spec) and not in_window(now, window):
        row.due_at = next_opening(now, window)
        _note(
            row,
            now,
            "deferred",
            f"outside the send window {window.start}-{window.end} {window.timezone}:"
            f" waits until {row.due_at.isoformat()}",
        )
        return
    portrait = await portrait_of(uow, row.client_id)
    missing = await _missing_variables(uow, spec, row, portrait)
    if missing:
        names = ", ".join(sorted(missing))
        if now - row.decided_at < PORTRAIT_WAIT:
            row.due_at = now + portrait_retry(row)
            _note(row, now, "deferred", f"{WAITS_FOR_PORTRAIT} {names}")
            return
        reason = f"the client's portrait has no {names} for the script"
        suppress(uow, row, spec, gate.Stop("data", reason))
        return
    open_channels, stop = gate.consent(
        spec.touchpoint.channels, spec.service.purpose, portrait.get("consents", {})
    )
    chosen = None
    if stop is None:
        sent = await sent_recently(uow, row.client_id, now)
        for channel in open_channels:
            stop = gate.caps(
                purpose=spec.service.purpose,
                campaign_id=row.campaign_id,
                channel=channel,
                at=now,
                local_day=local_day(now),
                day_of=local_day,
                sent=sent,
                limits=caps,
                campaign_limit=(spec.touchpoint.cap.count, spec.touchpoint.cap.days),
            )
            if stop is None:
                chosen = channel
                break
            if stop.gate != "cap_channel":
                break
    if chosen is None:
        assert stop is not None
        winner = winners.get(row.client_id)
        if winner is not None and stop.gate.startswith("cap_"):
            stop = gate.Stop("arbitration", f"{stop.reason}; taken by {winner}")
        suppress(uow, row, spec, stop)
        return
    later = open_channels[open_channels.index(chosen) + 1 :]
    await _request(uow, row, spec, chosen, later, portrait)
    if spec.service.purpose is not Purpose.SERVICE:  # only what counts against the caps
        winners[row.client_id] = f"{spec.name!r} (priority {spec.touchpoint.priority})"


# A trigger can overtake the portrait it was computed from (the campaign service reads the
# portraits topic and the membership topic side by side): a script whose placeholders the
# stored portrait cannot fill yet waits for it, then is suppressed with the reason. A newer
# portrait makes the send due at once (`portrait_arrived`); the re-checks in between back off
# (15 s, 30 s, 60 s, … at most 2 minutes), so a lagging consumer does not churn through them.
PORTRAIT_WAIT = timedelta(minutes=10)
PORTRAIT_RETRY = timedelta(seconds=15)
PORTRAIT_RETRY_MAX = timedelta(minutes=2)
WAITS_FOR_PORTRAIT = "waits for the portrait to carry"


def portrait_retry(row: DecisionRow) -> timedelta:
    waits = sum(1 for n in row.history or [] if n["reason"].startswith(WAITS_FOR_PORTRAIT))
    return min(PORTRAIT_RETRY * 2 ** min(waits, 8), PORTRAIT_RETRY_MAX)


def waiting_for_portrait(row: DecisionRow) -> bool:
    last = (row.history or [{}])[-1]
    return row.decision == "scheduled" and last.get("reason", "").startswith(WAITS_FOR_PORTRAIT)


async def portrait_arrived(uow: UnitOfWork, client_id: str) -> None:
    """A newer portrait of the client: its sends waiting for one are due now (the release loop
    takes them), instead of at their next re-check."""
    now = uow.clock.now()
    for row in await ClientState.of(uow).decisions(client_id):
        if waiting_for_portrait(row) and row.due_at is not None and row.due_at > now:
            row.due_at = now


async def _missing_variables(
    uow: UnitOfWork, spec: CampaignSpec, row: DecisionRow, portrait: dict[str, Any]
) -> set[str]:
    """Placeholders of this client's words, on any of the campaign's channels, with no value."""
    available = portrait_variables(row.client_id, portrait)
    available |= {"campaign_name": spec.name, **(row.context or {})}
    needed: set[str] = set()
    for channel in {v.channel for v in spec.script.variants}:
        _, words = await _words(uow, spec, row.campaign_id, row.client_id, channel)
        needed |= set(placeholders(f"{words.subject or ''}{words.body}"))
    return needed - set(available)


async def sent_recently(uow: UnitOfWork, client_id: str, now: datetime) -> list[gate.Sent]:
    """What counts against the client's caps: marketing and care sent in the last 400 days."""
    since = now - timedelta(days=400)
    return [
        gate.Sent(d.campaign_id, d.channel or "", d.released_at)
        for d in await ClientState.of(uow).decisions(client_id)
        if d.decision == "requested"
        and d.purpose != Purpose.SERVICE.value
        and d.released_at is not None
        and d.released_at > since
    ]


async def _words(
    uow: UnitOfWork, spec: CampaignSpec, campaign_id: str, client_id: str, channel: str
) -> tuple[str, ScriptVersionRow]:
    variants = [v for v in spec.script.variants if v.channel == channel]
    chosen = variants[variant_index(campaign_id, client_id, [v.weight for v in variants])]
    words = await uow.once(
        f"words:{chosen.script_id}:{chosen.version}",
        lambda: uow.session.get(ScriptVersionRow, (chosen.script_id, chosen.version)),
    )
    assert words is not None, "a live version's scripts exist"
    return chosen.variant, words


async def _request(
    uow: UnitOfWork,
    row: DecisionRow,
    spec: CampaignSpec,
    channel: str,
    fallback_channels: list[str],
    portrait: dict[str, Any],
) -> None:
    now = uow.clock.now()
    variant, words = await _words(uow, spec, row.campaign_id, row.client_id, channel)
    fallbacks = []
    templates = f"{words.subject or ''}{words.body}"
    for other in fallback_channels:
        _, more = await _words(uow, spec, row.campaign_id, row.client_id, other)
        templates += f"{more.subject or ''}{more.body}"
        fallbacks.append(
            FallbackScript(
                channel=Channel(other),
                subject=more.subject,
                body=more.body,
                script_version=f"{more.script_id}@{more.version}",
            )
        )
    available = portrait_variables(row.client_id, portrait)
    available |= {"campaign_name": spec.name, **(row.context or {})}
    variables = {n: str(available[n]) for n in placeholders(templates) if n in available}
    row.decision, row.channel, row.variant, row.released_at = "requested", channel, variant, now
    _note(row, now, "requested", f"{channel}, variant {variant}")
    uow.emit(
        OUTREACH_TOPIC,
        OutreachRequested(
            **_envelope(row, now),
            payload=OutreachRequestedPayload(
                idempotency_key=row.idempotency_key,
                campaign_id=row.campaign_id,
                campaign_name=spec.name,
                variant=variant,
                channel=Channel(channel),
                purpose=ContactPurpose(gate.contact_purpose(spec.service.purpose)),
                subject=words.subject,
                body=words.body,
                trigger_event_id=row.trigger_event_id,
                variables=variables,
                script_version=f"{words.script_id}@{words.version}",
                fallbacks=fallbacks[:5],
                **evaluated(spec),
            ),
        ),
    )


async def release_due(uow: UnitOfWork, caps: gate.Caps, *, limit: int = 200) -> int:
    """Release stored sends whose time has come (delayed, deferred to the window, held by a
    pause); locked so that two replicas never release the same one. Returns how many."""
    if await paused(uow):
        return 0
    rows = list(
        await uow.session.scalars(
            select(DecisionRow)
            .join(CampaignRow, CampaignRow.id == DecisionRow.campaign_id)
            .where(
                DecisionRow.decision == "scheduled",
                DecisionRow.due_at <= uow.clock.now(),
                CampaignRow.status.in_(("active", "ended")),
            )
            .order_by(DecisionRow.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=DecisionRow)
        )
    )
    await ClientState.of(uow).load({r.client_id for r in rows})
    await release_all(uow, rows, caps)
    await uow.commit()
    return len(rows)
