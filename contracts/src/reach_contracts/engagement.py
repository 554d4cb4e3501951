"""Events from WeChat, the app and content channels: follows, registrations, views, replies."""

from typing import Literal

from pydantic import ConfigDict, Field

from reach_contracts.enums import Channel
from reach_contracts.envelope import Event, Payload
from reach_contracts.values import Identifier


class WechatFollowedPayload(Payload):
    """No fields yet: the envelope says who followed and when."""


class WechatFollowed(Event):
    """A client followed the brokerage's WeChat service account."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "eng-20261101-0000700311",
                    "event_type": "wechat.followed",
                    "schema_version": 1,
                    "occurred_at": "2026-11-01T20:14:37+08:00",
                    "client_id": "C00012345",
                    "payload": {},
                }
            ]
        }
    )

    event_type: Literal["wechat.followed"] = "wechat.followed"
    payload: WechatFollowedPayload


class AppRegisteredPayload(Payload):
    """No fields yet: the envelope says who registered and when."""


class AppRegistered(Event):
    """A client registered in the brokerage app."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "eng-20261101-0000700529",
                    "event_type": "app.registered",
                    "schema_version": 1,
                    "occurred_at": "2026-11-01T20:31:05+08:00",
                    "client_id": "C00012345",
                    "payload": {},
                }
            ]
        }
    )

    event_type: Literal["app.registered"] = "app.registered"
    payload: AppRegisteredPayload


class ContentViewedPayload(Payload):
    """Which piece of content was viewed and what it is about."""

    content_id: Identifier
    topic: str = Field(min_length=1, max_length=64, description="e.g. fixed_income, ipo, macro")


class ContentViewed(Event):
    """A client opened an article, video or research note."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "eng-20261122-0000731880",
                    "event_type": "content.viewed",
                    "schema_version": 1,
                    "occurred_at": "2026-11-22T12:08:44+08:00",
                    "client_id": "C00012345",
                    "payload": {"content_id": "ART-2026-11-0458", "topic": "fixed_income"},
                }
            ]
        }
    )

    event_type: Literal["content.viewed"] = "content.viewed"
    payload: ContentViewedPayload


class ReferralInvitedPayload(Payload):
    """Who was invited, as an opaque reference (not a phone number)."""

    invitee_ref: Identifier


class ReferralInvited(Event):
    """A client invited a friend to open an account."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "eng-20261109-0000712004",
                    "event_type": "referral.invited",
                    "schema_version": 1,
                    "occurred_at": "2026-11-09T18:22:10+08:00",
                    "client_id": "C00012345",
                    "payload": {"invitee_ref": "INV-8F2C41D7"},
                }
            ]
        }
    )

    event_type: Literal["referral.invited"] = "referral.invited"
    payload: ReferralInvitedPayload


class MessageRepliedPayload(Payload):
    """A client's reply on an outreach channel."""

    channel: Channel
    text: str
    in_reply_to: str | None = Field(
        default=None, description="provider_message_id of the delivery replied to, when known"
    )


class MessageReplied(Event):
    """A client replied to a message (e.g. an SMS reply T withdraws SMS marketing consent)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "eng-20261118-0000725561",
                    "event_type": "message.replied",
                    "schema_version": 1,
                    "occurred_at": "2026-11-18T21:03:51+08:00",
                    "client_id": "C00012345",
                    "payload": {
                        "channel": "sms",
                        "text": "T",
                        "in_reply_to": "SMS-20261118-5B7E0A9C",
                    },
                }
            ]
        }
    )

    event_type: Literal["message.replied"] = "message.replied"
    payload: MessageRepliedPayload
