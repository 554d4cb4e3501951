"""Outreach decisions emitted by the campaign service (topic reach.outreach.v1)."""

from typing import Literal

from pydantic import ConfigDict, Field

from reach_contracts.enums import Channel, Purpose
from reach_contracts.envelope import Event, Payload
from reach_contracts.values import Identifier


class FallbackScript(Payload):
    """Another channel to try, in the campaign's order, when the ones before it are impossible."""

    channel: Channel
    subject: str | None = None
    body: str
    script_version: str | None = Field(default=None, max_length=64)


class Evaluated(Payload):
    """How analytics measures the decision: the campaign's goal and window, and the segment whose
    entry (or exit) triggered it. Optional: events written before these fields decode as unknown."""

    goal_event: str | None = Field(
        default=None,
        max_length=64,
        description="The campaign's primary conversion event, e.g. trade.executed",
    )
    attribution_window_days: int | None = Field(
        default=None, ge=1, le=365, description="A goal event counts within this many days"
    )
    segment_id: Identifier | None = Field(
        default=None, description="The segment of a segment_entered / segment_exited scene"
    )


class OutreachRequestedPayload(Evaluated):
    """What to send to whom, on which channel, and why; the notifier renders and sends it."""

    idempotency_key: Identifier = Field(description="Same key, same outreach: sent at most once")
    campaign_id: Identifier
    campaign_name: str
    variant: str = Field(default="A", min_length=1, max_length=32)
    channel: Channel
    purpose: Purpose
    subject: str | None = None
    body: str = Field(description="Template with {name}-style placeholders filled from variables")
    variables: dict[str, str] = Field(default_factory=dict)
    trigger_event_id: Identifier = Field(description="event_id of the event that triggered it")
    script_version: str | None = Field(
        default=None, max_length=64, description="The approved script version of `body`"
    )
    fallbacks: list[FallbackScript] = Field(
        default_factory=list,
        max_length=5,
        description="Next channels in order of preference, used when `channel` is impossible "
        "for this client (no address, no consent, a channel that refuses the purpose)",
    )


class OutreachRequested(Event):
    """The campaign service decided to contact a client."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "out-CMP-first-trade-thanks-C00012345",
                    "event_type": "outreach.requested",
                    "schema_version": 1,
                    "occurred_at": "2026-11-24T10:00:00+08:00",
                    "client_id": "C00012345",
                    "payload": {
                        "idempotency_key": "CMP-first-trade-thanks:C00012345:20261123",
                        "campaign_id": "CMP-first-trade-thanks",
                        "campaign_name": "首笔交易感谢",
                        "variant": "B",
                        "channel": "sms",
                        "purpose": "service",
                        "subject": None,
                        "body": (
                            "{name}您好，感谢您完成首笔交易，"
                            "如有疑问请联系您的投资顾问{advisor_name}。"
                        ),
                        "variables": {"name": "李女士", "advisor_name": "王经理"},
                        "trigger_event_id": "trd-20261123-0000981234",
                        "script_version": "SCR-thanks-sms@3",
                        "goal_event": "product.purchased",
                        "attribution_window_days": 7,
                    },
                }
            ]
        }
    )

    event_type: Literal["outreach.requested"] = "outreach.requested"
    payload: OutreachRequestedPayload


class OutreachHeldOutPayload(Evaluated):
    """Which campaign held the client out as control, and what it would have sent."""

    idempotency_key: Identifier
    campaign_id: Identifier
    campaign_name: str
    trigger_event_id: Identifier
    channel: Channel | None = Field(
        default=None, description="The campaign's first channel, the one it would have tried"
    )
    variant: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="The A/B variant the client would have had on `channel`",
    )
    script_version: str | None = Field(default=None, max_length=64)


class OutreachHeldOut(Event):
    """A client qualified for outreach but was kept in the holdout control group."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "out-CMP-first-trade-thanks-C00054321",
                    "event_type": "outreach.held_out",
                    "schema_version": 1,
                    "occurred_at": "2026-11-24T10:00:00+08:00",
                    "client_id": "C00054321",
                    "payload": {
                        "idempotency_key": "CMP-first-trade-thanks:C00054321:20261123",
                        "campaign_id": "CMP-first-trade-thanks",
                        "campaign_name": "首笔交易感谢",
                        "trigger_event_id": "trd-20261123-0000981877",
                        "goal_event": "product.purchased",
                        "attribution_window_days": 7,
                        "channel": "sms",
                        "variant": "B",
                        "script_version": "SCR-thanks-sms@3",
                    },
                }
            ]
        }
    )

    event_type: Literal["outreach.held_out"] = "outreach.held_out"
    payload: OutreachHeldOutPayload


class OutreachSuppressedPayload(Evaluated):
    """Which protection gate stopped an outreach, and why."""

    idempotency_key: Identifier
    campaign_id: Identifier
    campaign_name: str
    trigger_event_id: Identifier
    gate: str = Field(
        max_length=32,
        description="suitability, eligibility, consent, cap_client_day, cap_client_week, "
        "cap_campaign, cap_channel, arbitration, campaign_ended, data",
    )
    reason: str = Field(max_length=300, description="Why, in words an auditor can read")


class OutreachSuppressed(Event):
    """A client qualified for a campaign but a protection gate stopped the outreach."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "out-CMP-fund-R4-offer-C00054321",
                    "event_type": "outreach.suppressed",
                    "schema_version": 1,
                    "occurred_at": "2026-11-24T10:00:00+08:00",
                    "client_id": "C00054321",
                    "payload": {
                        "idempotency_key": "CMP-fund-R4-offer:C00054321:20261123",
                        "campaign_id": "CMP-fund-R4-offer",
                        "campaign_name": "权益基金推荐",
                        "trigger_event_id": "seg-20261123-0000981877",
                        "gate": "suitability",
                        "reason": "product R4 is above what risk level C3 allows (R1-R3)",
                        "goal_event": "product.purchased",
                        "attribution_window_days": 14,
                        "segment_id": "SEG-equity-curious",
                    },
                }
            ]
        }
    )

    event_type: Literal["outreach.suppressed"] = "outreach.suppressed"
    payload: OutreachSuppressedPayload
