"""Delivery outcomes emitted by the notifier (topic reach.deliveries.v1)."""

from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field

from reach_contracts.enums import Channel, ConsentChannel, Purpose
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


class ReceiptStatus(StrEnum):
    """What a provider (or an advisor, for a call task) reported after the send."""

    DELIVERED = "delivered"
    FAILED = "failed"
    OPENED = "opened"
    CLICKED = "clicked"
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    DECLINED = "declined"
    CALLBACK = "callback"


class DeliveryReceiptedPayload(Payload):
    """A verified receipt for a sent outreach: a provider callback or a call task's outcome."""

    idempotency_key: Identifier
    campaign_id: Identifier
    channel: Channel
    provider_message_id: Identifier
    status: ReceiptStatus
    detail: str | None = Field(default=None, max_length=500)


class DeliveryReceipted(Event):
    """A provider confirmed what became of a send (delivered, failed, opened, clicked), or an
    advisor recorded a call task's outcome."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "rcp-CMP-first-trade-thanks:C00012345:20261123-delivered",
                    "event_type": "delivery.receipted",
                    "schema_version": 1,
                    "occurred_at": "2026-11-24T10:00:04.051+08:00",
                    "client_id": "C00012345",
                    "payload": {
                        "idempotency_key": "CMP-first-trade-thanks:C00012345:20261123",
                        "campaign_id": "CMP-first-trade-thanks",
                        "channel": "sms",
                        "provider_message_id": "SMS-20261124-9A1C33F0",
                        "status": "delivered",
                        "detail": None,
                    },
                }
            ]
        }
    )

    event_type: Literal["delivery.receipted"] = "delivery.receipted"
    payload: DeliveryReceiptedPayload


class DeliveryOptedOutPayload(Payload):
    """Which consent the client withdrew by replying, and to which send when known."""

    channel: ConsentChannel
    purpose: Purpose
    source: str = Field(min_length=1, max_length=64, description="e.g. sms_reply")
    in_reply_to: str | None = Field(
        default=None, description="provider_message_id of the send replied to, when known"
    )


class DeliveryOptedOut(Event):
    """A client withdrew consent in reply to a message (an SMS reply T): from now on, treat it
    as account.consent_changed with granted false for this channel and purpose."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "opt-sms-marketing-C00012345-20261118T130351",
                    "event_type": "delivery.opted_out",
                    "schema_version": 1,
                    "occurred_at": "2026-11-18T21:03:51+08:00",
                    "client_id": "C00012345",
                    "payload": {
                        "channel": "sms",
                        "purpose": "marketing",
                        "source": "sms_reply",
                        "in_reply_to": "SMS-20261118-5B7E0A9C",
                    },
                }
            ]
        }
    )

    event_type: Literal["delivery.opted_out"] = "delivery.opted_out"
    payload: DeliveryOptedOutPayload
