"""Every Kafka topic Reach reads or writes, the events it carries, and who produces them."""

from dataclasses import dataclass

from reach_contracts.accounts import (
    AccountClosed,
    AccountConsentChanged,
    AccountContactChanged,
    AccountOpened,
    AccountRiskAssessed,
)
from reach_contracts.deliveries import (
    DeliveryFailed,
    DeliveryOptedOut,
    DeliveryReceipted,
    DeliverySent,
    DeliverySuppressed,
)
from reach_contracts.engagement import (
    AppRegistered,
    ContentViewed,
    MessageReplied,
    ReferralInvited,
    WechatFollowed,
)
from reach_contracts.envelope import Event, event_type_of
from reach_contracts.errors import ContractError, quoted
from reach_contracts.outreach import OutreachHeldOut, OutreachRequested, OutreachSuppressed
from reach_contracts.portraits import PortraitUpdated
from reach_contracts.products import ProductPurchased, ProductRedeemed
from reach_contracts.segments import SegmentEntered, SegmentExited
from reach_contracts.trading import (
    FundsTransferred,
    LoginSucceeded,
    PositionsSnapshot,
    TradeExecuted,
)

UPSTREAM = "upstream"

DEAD_LETTER_TOPIC = "reach.dead-letters.v1"
DEAD_LETTER_HEADERS = (
    "reach-dlq-reason",
    "reach-dlq-source-topic",
    "reach-dlq-source-partition",
    "reach-dlq-source-offset",
    "reach-dlq-consumer-group",
)


@dataclass(frozen=True)
class Topic:
    """A topic: its name, the event classes it may carry, its producer and its message key."""

    name: str
    description: str
    events: tuple[type[Event], ...]
    producer: str  # "upstream" or the name of the Reach service that writes it
    compacted: bool = False
    key_field: str = "client_id"


_ALL = (
    Topic(
        name="trading.trades.v1",
        description="Trade fills from the trading system.",
        events=(TradeExecuted,),
        producer=UPSTREAM,
    ),
    Topic(
        name="trading.logins.v1",
        description="Successful client logins on trading channels.",
        events=(LoginSucceeded,),
        producer=UPSTREAM,
    ),
    Topic(
        name="trading.fund-transfers.v1",
        description="Money and custody moving into or out of client accounts.",
        events=(FundsTransferred,),
        producer=UPSTREAM,
    ),
    Topic(
        name="trading.positions.v1",
        description="End-of-day cash, assets and holdings per account.",
        events=(PositionsSnapshot,),
        producer=UPSTREAM,
    ),
    Topic(
        name="accounts.events.v1",
        description="Account lifecycle: opening, risk assessment, contacts, consent, closing.",
        events=(
            AccountOpened,
            AccountRiskAssessed,
            AccountContactChanged,
            AccountConsentChanged,
            AccountClosed,
        ),
        producer=UPSTREAM,
    ),
    Topic(
        name="products.subscriptions.v1",
        description="Fund and wealth product purchases and redemptions.",
        events=(ProductPurchased, ProductRedeemed),
        producer=UPSTREAM,
    ),
    Topic(
        name="engagement.events.v1",
        description="WeChat, app and content engagement, referrals and replies.",
        events=(WechatFollowed, AppRegistered, ContentViewed, ReferralInvited, MessageReplied),
        producer=UPSTREAM,
    ),
    Topic(
        name="reach.portraits.v1",
        description="The latest client portrait per client; compacted, so it is a table.",
        events=(PortraitUpdated,),
        producer="profile",
        compacted=True,
    ),
    Topic(
        name="reach.segment-memberships.v1",
        description="One event per real transition into or out of a segment.",
        events=(SegmentEntered, SegmentExited),
        producer="segmenter",
    ),
    Topic(
        name="reach.outreach.v1",
        description="Campaign decisions: outreach to send, holdout control assignments, and "
        "outreach a protection gate stopped (with the gate and the reason).",
        events=(OutreachRequested, OutreachHeldOut, OutreachSuppressed),
        producer="campaign",
    ),
    Topic(
        name="reach.deliveries.v1",
        description="What the notifier did with each outreach (sent, failed or suppressed), "
        "its receipts, and opt-outs clients replied with.",
        events=(
            DeliverySent,
            DeliveryFailed,
            DeliverySuppressed,
            DeliveryReceipted,
            DeliveryOptedOut,
        ),
        producer="notifier",
    ),
)

TOPICS: dict[str, Topic] = {topic.name: topic for topic in _ALL}

_TOPIC_BY_EVENT_TYPE: dict[str, Topic] = {
    event_type_of(event): topic for topic in _ALL for event in topic.events
}


def topic_for(event_type: str) -> Topic:
    """Return the topic that carries events of this type; ContractError if none does."""
    try:
        return _TOPIC_BY_EVENT_TYPE[event_type]
    except KeyError:
        raise ContractError(f"unknown event_type {quoted(event_type)}") from None
