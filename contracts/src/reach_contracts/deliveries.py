"""Delivery outcomes emitted by the notifier (topic reach.deliveries.v1)."""

from typing import Literal

from pydantic import ConfigDict, Field

from reach_contracts.enums import Channel
from reach_contracts.envelope import Event, Payload
from reach_contracts.values import Identifier


class DeliverySentPayload(Payload):
    """A provider accepted the message."""

    idempotency_key: Identifier
    campaign_id: Identifier
    channel: Channel
    provider_message_id: Identifier
    attempt: int = Field(ge=1)


class DeliverySent(Event):
    """The notifier handed an outreach to the channel provider."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "dlv-CMP-first-trade-thanks:C00012345:20261123-1",
                    "event_type": "delivery.sent",
                    "schema_version": 1,
                    "occurred_at": "2026-11-24T10:00:01.318+08:00",
                    "client_id": "C00012345",
                    "payload": {
                        "idempotency_key": "CMP-first-trade-thanks:C00012345:20261123",
                        "campaign_id": "CMP-first-trade-thanks",
                        "channel": "sms",
                        "provider_message_id": "SMS-20261124-9A1C33F0",
                        "attempt": 1,
                    },
                }
            ]
        }
    )

    event_type: Literal["delivery.sent"] = "delivery.sent"
    payload: DeliverySentPayload


class DeliveryFailedPayload(Payload):
    """A send attempt failed, and why."""

    idempotency_key: Identifier
    campaign_id: Identifier
    channel: Channel
    reason: str
    attempt: int = Field(ge=1)


class DeliveryFailed(Event):
    """A send attempt failed at the provider."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "dlv-CMP-fund-R2-offer:C00012345:20261125-2",
                    "event_type": "delivery.failed",
                    "schema_version": 1,
                    "occurred_at": "2026-11-25T10:00:31.902+08:00",
                    "client_id": "C00012345",
                    "payload": {
                        "idempotency_key": "CMP-fund-R2-offer:C00012345:20261125",
                        "campaign_id": "CMP-fund-R2-offer",
                        "channel": "email",
                        "reason": "smtp 451: temporary local problem",
                        "attempt": 2,
                    },
                }
            ]
        }
    )

    event_type: Literal["delivery.failed"] = "delivery.failed"
    payload: DeliveryFailedPayload


class DeliverySuppressedPayload(Payload):
    """Why the notifier refused to send."""

    idempotency_key: Identifier
    campaign_id: Identifier
    channel: Channel
    reason: str = Field(description="e.g. no_consent, rate_limited, no_contact")


class DeliverySuppressed(Event):
    """The notifier did not send an outreach (consent, rate limit, missing contact)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "dlv-CMP-fund-R2-offer:C00054321:20261125-0",
                    "event_type": "delivery.suppressed",
                    "schema_version": 1,
                    "occurred_at": "2026-11-25T10:00:00.204+08:00",
                    "client_id": "C00054321",
                    "payload": {
                        "idempotency_key": "CMP-fund-R2-offer:C00054321:20261125",
                        "campaign_id": "CMP-fund-R2-offer",
                        "channel": "sms",
                        "reason": "no_consent",
                    },
                }
            ]
        }
    )

    event_type: Literal["delivery.suppressed"] = "delivery.suppressed"
    payload: DeliverySuppressedPayload
