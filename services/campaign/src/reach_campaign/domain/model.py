"""A campaign from the eight operating elements of DOMAIN.md, as one validated document.

goal, client (audience), service, scene, touchpoint, script, evaluation, feedback. The scene is a
discriminated union on `kind`, so new trigger kinds are added as new members.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from reach_contracts import Channel, event_class

Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:@-]+$")]
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL: free text that is stored says so


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Purpose(StrEnum):
    """Why a message is sent: service notices are exempt from approval; the others are not."""

    MARKETING = "marketing"
    SERVICE = "service"  # a service notice: payment due, security, a thank-you
    CARE = "care"  # birthdays, holidays, loss care: sent with marketing consent and approval


NEEDS_APPROVAL = frozenset({Purpose.MARKETING, Purpose.CARE})

ConversionEvent = Literal[
    "account.opened",
    "account.risk_assessed",
    "funds.transferred",
    "trade.executed",
    "product.purchased",
    "login.succeeded",
    "app.registered",
    "wechat.followed",
    "referral.invited",
    "content.viewed",
    "message.replied",
]


class Goal(Strict):
    """目标: what counts as success, within how long, and the rate aimed at."""

    primary_event: ConversionEvent
    secondary_events: list[ConversionEvent] = Field(default_factory=list, max_length=5)
    attribution_window_days: int = Field(default=7, ge=1, le=90)
    target_rate: float | None = Field(default=None, gt=0, le=1, description="e.g. 0.05 for 5%")

    @field_validator("secondary_events")
    @classmethod
    def _secondary_differs(cls, events: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("primary_event") in events:
            raise ValueError("repeats the primary event")
        return events


class Audience(Strict):
    """客户: besides the scene, clients must be in every one of `segments` and in none of `exclude`."""

    segments: list[Identifier] = Field(default_factory=list, max_length=20)
    exclude_segments: list[Identifier] = Field(default_factory=list, max_length=20)

    @field_validator("exclude_segments")
    @classmethod
    def _disjoint(cls, excluded: list[str], info: ValidationInfo) -> list[str]:
        both = set(info.data.get("segments", ())) & set(excluded)
        if both:
            raise ValueError(f"segments both required and excluded: {sorted(both)}")
        return excluded


class Service(Strict):
    """服务: the catalogue item carried to the client; marketing must name one."""

    purpose: Purpose
    item_id: Identifier | None = Field(
        default=None, validate_default=True, description="catalogue item id"
    )

    @field_validator("item_id")
    @classmethod
    def _marketing_names_its_item(cls, item_id: str | None, info: ValidationInfo) -> str | None:
        if item_id is None and info.data.get("purpose") is Purpose.MARKETING:
            raise ValueError("a marketing campaign must name the catalogue item it offers")
        return item_id


_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _clock_time(value: str) -> str:
    if not _CLOCK.match(value):
        raise ValueError("a time of day as HH:MM")
    return value


class Delay(Strict):
    """Wait after the occurrence: `minutes`, or until the next trading day at a time of day."""

    minutes: int = Field(default=0, ge=0, le=60 * 24 * 90)
    next_trading_day_at: str | None = Field(default=None, description="HH:MM, Asia/Shanghai")

    @field_validator("next_trading_day_at")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        return None if value is None else _clock_time(value)


class Reentry(Strict):
    """How often one client may be picked by this campaign: once ever, or with days between."""

    once: bool = False
    min_days_between: int = Field(default=0, ge=0, le=3650)


class SceneBase(Strict):
    delay: Delay | None = None
    reentry: Reentry = Field(default_factory=Reentry)


class SegmentEnteredScene(SceneBase):
    kind: Literal["segment_entered"]
    segment_id: Identifier


class SegmentExitedScene(SceneBase):
    kind: Literal["segment_exited"]
    segment_id: Identifier


UpstreamEvent = Literal[
    "trade.executed",
    "login.succeeded",
    "funds.transferred",
    "account.opened",
    "account.risk_assessed",
    "account.closed",
    "product.purchased",
    "product.redeemed",
    "wechat.followed",
    "app.registered",
    "content.viewed",
    "referral.invited",
    "message.replied",
]
# Facts the engine works out for each event, usable in conditions besides the payload's fields.
DERIVED_FIELDS = {
    "first_ever": "true for the client's first event of this type",
    "days_since_previous": "days since the client's previous event of this type (none: null)",
    "share_of_assets": "amount / the client's total assets in the stored portrait",
}


class Condition(Strict):
    """`field op value` on the event's payload or a derived fact (DERIVED_FIELDS)."""

    field: str = Field(min_length=1, max_length=64, pattern=r"^[a-z_][a-z0-9_]*$")
    op: Literal["eq", "ne", "gt", "gte", "lt", "lte", "in"]
    value: bool | float | str | list[str] | None

    @field_validator("value")
    @classmethod
    def _fits_op(cls, value: object, info: ValidationInfo) -> object:
        op = info.data.get("op")
        if op == "in" and not isinstance(value, list):
            raise ValueError("'in' takes a list of values")
        if op in ("gt", "gte", "lt", "lte") and (isinstance(value, bool) or value is None):
            raise ValueError(f"'{op}' compares with a number")
        return value


class EventScene(SceneBase):
    """An upstream event that meets every condition, e.g. funds.transferred out with
    share_of_assets >= 0.5, the first ever trade.executed, a login after >= 30 days away."""

    kind: Literal["event"]
    event_type: UpstreamEvent
    conditions: list[Condition] = Field(default_factory=list, max_length=10)


class InactivityScene(SceneBase):
    """No `event_type` from the client for `days`: fires once per quiet spell."""

    kind: Literal["inactivity"]
    event_type: UpstreamEvent
    days: int = Field(ge=1, le=3650)


class DidNotScene(SceneBase):
    """Did A (meeting the conditions) but not B within `within_days`: fires when the days are up."""

    kind: Literal["did_not"]
    event_type: UpstreamEvent
    conditions: list[Condition] = Field(default_factory=list, max_length=10)
    then_not: UpstreamEvent
    within_days: int = Field(ge=1, le=365)


class ScheduleScene(SceneBase):
    """At `at` (Asia/Shanghai) on the chosen days, for every member of the audience segments:
    every day, weekdays, exchange trading days, Chinese festivals and public holidays (first
    day of each), the listed `dates` (IPO subscription days, events), or `birthdays`: each
    member on their own birthday from the portrait (29 February on 28 February in other years);
    or, with days `cron`, at each instant of a 5-field `cron` expression read in Asia/Shanghai."""

    kind: Literal["schedule"]
    at: str | None = Field(default=None, description="HH:MM, Asia/Shanghai; not for cron")
    days: Literal[
        "every_day", "weekdays", "trading_days", "festivals", "dates", "birthdays", "cron"
    ]
    dates: list[date] = Field(default_factory=list, max_length=366)
    cron: str | None = Field(
        default=None, description="minute hour day-of-month month day-of-week, Asia/Shanghai"
    )

    @field_validator("at")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        return None if value is None else _clock_time(value)

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError("a standard 5-field cron expression, e.g. '0 9 * * 1-5'")
        return value


AnyScene = (
    SegmentEnteredScene
    | SegmentExitedScene
    | EventScene
    | InactivityScene
    | DidNotScene
    | ScheduleScene
)
Scene = Annotated[AnyScene, Field(discriminator="kind")]


class SendWindow(Strict):
    """Hours marketing and care may arrive; outside them a send waits for the next opening."""

    start: str = "08:30"
    end: str = "22:00"
    timezone: Literal["Asia/Shanghai"] = "Asia/Shanghai"
    applies_to_service: bool = Field(
        default=False,
        description="service notices (payment due, security) go at any hour unless this is true",
    )

    @field_validator("start", "end")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        return _clock_time(value)

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: str, info: ValidationInfo) -> str:
        if end <= info.data.get("start", "00:00"):
            raise ValueError("end must be after start")
        return end


class CampaignCap(Strict):
    """At most `count` outreach from this campaign to one client in `days` (marketing and care)."""

    count: int = Field(default=1, ge=1, le=100)
    days: int = Field(default=7, ge=1, le=365)


class Touchpoint(Strict):
    """触达: channels in order of preference, the send window, this campaign's cap per client,
    and its priority when several campaigns want the same client at once (higher wins)."""

    channels: list[Channel] = Field(min_length=1, max_length=6)
    send_window: SendWindow = Field(default_factory=SendWindow)
    cap: CampaignCap = Field(default_factory=CampaignCap)
    priority: int = Field(default=50, ge=0, le=100)

    @field_validator("channels")
    @classmethod
    def _unique(cls, channels: list[Channel]) -> list[Channel]:
        if len(set(channels)) != len(channels):
            raise ValueError("a channel is listed twice")
        return channels


class Variant(Strict):
    channel: Channel
    variant: str = Field(default="A", min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    script_id: Identifier
    version: int = Field(ge=1, le=1_000_000)
    weight: int = Field(default=1, ge=1, le=100, description="share among this channel's variants")


class Script(Strict):
    """话术: per channel, the script versions used, as A/B variants."""

    variants: list[Variant] = Field(min_length=1, max_length=20)

    @field_validator("variants")
    @classmethod
    def _unique_names(cls, variants: list[Variant]) -> list[Variant]:
        names = [(v.channel, v.variant) for v in variants]
        if len(set(names)) != len(names):
            raise ValueError("a variant name is used twice for one channel")
        return variants


class Evaluation(Strict):
    """评估: the share of qualifying clients kept as the control group."""

    holdout_percent: float = Field(default=10, ge=0, le=50)


class Feedback(Strict):
    """反馈: what a reply, an opt-out and a conversion do to this client's journey."""

    on_reply: Literal["nothing", "stop_client", "advisor_task"] = "stop_client"
    on_opt_out: Literal["stop_client"] = "stop_client"
    on_conversion: Literal["nothing", "stop_client"] = "stop_client"


class CampaignSpec(Strict):
    """One version of a campaign: the eight elements, validated as a whole."""

    name: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    description: str = Field(default="", max_length=2000, pattern=NO_NUL)
    goal: Goal
    audience: Audience = Field(default_factory=Audience)
    service: Service
    scene: Scene
    touchpoint: Touchpoint
    script: Script
    evaluation: Evaluation = Field(default_factory=Evaluation)
    feedback: Feedback = Field(default_factory=Feedback)

    @property
    def needs_approval(self) -> bool:
        return self.service.purpose in NEEDS_APPROVAL


def cross_check(spec: CampaignSpec) -> list[tuple[tuple[str | int, ...], str]]:
    """Rules that span elements, each with the path of the field at fault."""
    errors: list[tuple[tuple[str | int, ...], str]] = []
    channels = spec.touchpoint.channels
    for index, variant in enumerate(spec.script.variants):
        if variant.channel not in channels:
            errors.append(
                (("script", "variants", index, "channel"), f"{variant.channel} is not a touchpoint")
            )
    scripted = {v.channel for v in spec.script.variants}
    for index, channel in enumerate(channels):
        if channel not in scripted:
            errors.append((("touchpoint", "channels", index), f"no script variant for {channel}"))
        if channel is Channel.WECHAT and spec.service.purpose is not Purpose.SERVICE:
            errors.append((("touchpoint", "channels", index), "WeChat is for service notices only"))
    scene = spec.scene
    if isinstance(scene, ScheduleScene):
        if scene.days == "dates" and not scene.dates:
            errors.append((("scene", "dates"), "list the dates when days is 'dates'"))
        if scene.days == "cron" and scene.cron is None:
            errors.append((("scene", "cron"), "give a cron expression when days is 'cron'"))
        if scene.days != "cron" and scene.at is None:
            errors.append((("scene", "at"), "give a time of day as HH:MM"))
        if not spec.audience.segments:
            errors.append(
                (("audience", "segments"), "a schedule sends to audience segments: name one")
            )
    if isinstance(scene, EventScene | DidNotScene):
        known = set(payload_fields(scene.event_type)) | set(DERIVED_FIELDS)
        for index, condition in enumerate(scene.conditions):
            if condition.field not in known:
                errors.append(
                    (
                        ("scene", "conditions", index, "field"),
                        f"{scene.event_type} has no field {condition.field!r};"
                        f" known: {', '.join(sorted(known))}",
                    )
                )
    return errors


def payload_fields(event_type: str) -> list[str]:
    """The payload fields of an upstream event type, from the contracts."""
    payload = event_class(event_type).model_fields["payload"].annotation
    return list(getattr(payload, "model_fields", {}))


def scene_key(scene: AnyScene) -> tuple[str, str]:
    """How the trigger engine looks a scene up: its kind and what it listens to."""
    if isinstance(scene, SegmentEnteredScene | SegmentExitedScene):
        return scene.kind, scene.segment_id
    if isinstance(scene, ScheduleScene):
        return scene.kind, scene.days
    return scene.kind, scene.event_type


class OneMessageCampaign(Strict):
    """The first API's form: one segment, one channel, one message; expanded to a full spec."""

    name: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    trigger_segment_id: Identifier = Field(description="fires when a client enters it")
    channel: Channel
    purpose: Purpose = Purpose.SERVICE
    subject: str | None = Field(default=None, max_length=200, pattern=NO_NUL)
    body: str = Field(
        min_length=1, max_length=4000, pattern=NO_NUL, description="{client_id}, {segment}, …"
    )
    holdout_percent: float = Field(default=10, ge=0, le=50, description="control group share")

    @field_validator("purpose")
    @classmethod
    def _not_marketing(cls, purpose: Purpose) -> Purpose:
        if purpose is Purpose.MARKETING:
            raise ValueError("marketing names a catalogue item: use the full campaign document")
        return purpose

    def spec(self, script_id: str) -> CampaignSpec:
        return CampaignSpec(
            name=self.name,
            goal=Goal(primary_event="trade.executed"),
            service=Service(purpose=self.purpose),
            scene=SegmentEnteredScene(kind="segment_entered", segment_id=self.trigger_segment_id),
            touchpoint=Touchpoint(channels=[self.channel]),
            script=Script(variants=[Variant(channel=self.channel, script_id=script_id, version=1)]),
            evaluation=Evaluation(holdout_percent=self.holdout_percent),
        )
