"""Upstream events with sensible defaults: the one way the simulator and the tests make them."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from reach_contracts import (
    AccountClosed,
    AccountClosedPayload,
    AccountConsentChanged,
    AccountConsentChangedPayload,
    AccountContactChanged,
    AccountContactChangedPayload,
    AccountOpened,
    AccountOpenedPayload,
    AccountRiskAssessed,
    AccountRiskAssessedPayload,
    AppRegistered,
    AppRegisteredPayload,
    ContentViewed,
    ContentViewedPayload,
    FundsTransferred,
    FundsTransferredPayload,
    Holding,
    LoginSucceeded,
    LoginSucceededPayload,
    MessageReplied,
    MessageRepliedPayload,
    PositionsSnapshot,
    PositionsSnapshotPayload,
    ProductPurchased,
    ProductPurchasedPayload,
    ProductRedeemed,
    ProductRedeemedPayload,
    ReferralInvited,
    ReferralInvitedPayload,
    TradeExecuted,
    TradeExecutedPayload,
    WechatFollowed,
    WechatFollowedPayload,
)

CENT = Decimal("0.01")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _id(event_id: str | None) -> str:
    return event_id or str(uuid.uuid4())


def trade(
    client_id: str,
    at: datetime,
    *,
    amount: Decimal | str = "9000.00",
    price: Decimal | str = "10.00",
    symbol: str = "600000",
    market: str = "SSE",
    instrument_type: str = "stock",
    side: str = "buy",
    channel: str = "app",
    cost_sold: Decimal | str | None = None,
    account_id: str | None = None,
    event_id: str | None = None,
) -> TradeExecuted:
    """A trade of about `amount` CNY at `price` (quantity in lots of 100 where it fits); a sell
    with `cost_sold` (the cost basis of what it sold) carries its realised P&L after fees."""
    amount, price = Decimal(amount), Decimal(price)
    quantity = max(Decimal(1), (amount / price).quantize(Decimal(1)))
    value = (quantity * price).quantize(CENT)
    fee = max(Decimal(5), (value * Decimal("0.00025")).quantize(CENT))
    eid = _id(event_id)
    return TradeExecuted(
        event_id=eid,
        occurred_at=at,
        client_id=client_id,
        payload=TradeExecutedPayload(
            account_id=account_id or f"A{client_id}",
            trade_id=f"T-{eid}",
            symbol=symbol,
            market=market,
            instrument_type=instrument_type,
            side=side,
            quantity=quantity,
            price=price,
            amount=value,
            fee=fee,
            channel=channel,
            realised_pnl=None
            if cost_sold is None
            else (value - fee - Decimal(cost_sold)).quantize(CENT),
        ),
    )


def login(
    client_id: str, at: datetime, *, channel: str = "app", event_id: str | None = None
) -> LoginSucceeded:
    return LoginSucceeded(
        event_id=_id(event_id),
        occurred_at=at,
        client_id=client_id,
        payload=LoginSucceededPayload(channel=channel, device_id=f"D{client_id}-{channel}"),
    )


def transfer(
    client_id: str,
    at: datetime,
    *,
    direction: str,
    amount: Decimal | str,
    method: str = "bank",
    event_id: str | None = None,
) -> FundsTransferred:
    return FundsTransferred(
        event_id=_id(event_id),
        occurred_at=at,
        client_id=client_id,
        payload=FundsTransferredPayload(direction=direction, amount=Decimal(amount), method=method),
    )


def positions(
    client_id: str,
    at: datetime,
    *,
    trading_day: date,
    cash: Decimal,
    holdings: list[Holding],
    account_id: str | None = None,
    event_id: str | None = None,
) -> PositionsSnapshot:
    total = cash + sum((h.market_value for h in holdings), Decimal(0))
    return PositionsSnapshot(
        event_id=_id(event_id),
        occurred_at=at,
        client_id=client_id,
        payload=PositionsSnapshotPayload(
            account_id=account_id or f"A{client_id}",
            trading_day=trading_day,
            cash=cash,
            total_assets=total,
            holdings=holdings,
        ),
    )


def account_opened(
    client_id: str,
    at: datetime,
    *,
    advisor_id: str = "ADV001",
    branch: str = "BR01",
    client_kind: str = "individual",
    birth_year: int | None = 1985,
    birth_date: date | None = None,
    gender: str | None = "unknown",
    region: str = "Shanghai",
    account_id: str | None = None,
    event_id: str | None = None,
) -> AccountOpened:
    return AccountOpened(
        event_id=_id(event_id),
        occurred_at=at,
        client_id=client_id,
        payload=AccountOpenedPayload(
            account_id=account_id or f"A{client_id}",
            opened_on=at.date(),
            branch=branch,
            advisor_id=advisor_id,
            client_kind=client_kind,
            birth_year=birth_year,
            birth_date=birth_date,
            gender=gender,
            region=region,
        ),
    )


def risk_assessed(
    client_id: str,
    at: datetime,
    *,
    risk_level: str = "C3",
    valid_days: int = 730,
    horizon: str = "medium",
    professional: bool = False,
    event_id: str | None = None,
) -> AccountRiskAssessed:
    return AccountRiskAssessed(
        event_id=_id(event_id),
        occurred_at=at,
        client_id=client_id,
        payload=AccountRiskAssessedPayload(
            risk_level=risk_level,
            lowest_category=risk_level == "C1",
            expires_on=at.astimezone(SHANGHAI).date() + timedelta(days=valid_days),
            horizon=horizon,
            professional=professional,
        ),
    )


def contact_changed(
    client_id: str,
    at: datetime,
    *,
    email: str | None = None,
    phone: str | None = None,
    wechat_openid: str | None = None,
    event_id: str | None = None,
) -> AccountContactChanged:
    return AccountContactChanged(
        event_id=_id(event_id),
        occurred_at=at,
        client_id=client_id,
        payload=AccountContactChangedPayload(email=email, phone=phone, wechat_openid=wechat_openid),
    )


def consent_changed(
    client_id: str,
    at: datetime,
    *,
    channel: str,
    purpose: str = "marketing",
    granted: bool,
    source: str = "app_settings",
    event_id: str | None = None,
) -> AccountConsentChanged:
    return AccountConsentChanged(
        event_id=_id(event_id),
        occurred_at=at,
        client_id=client_id,
        payload=AccountConsentChangedPayload(
            channel=channel, purpose=purpose, granted=granted, source=source
        ),
    )


def account_closed(
    client_id: str, at: datetime, *, reason: str | None = None, event_id: str | None = None
) -> AccountClosed:
    return AccountClosed(
        event_id=_id(event_id),
        occurred_at=at,
        client_id=client_id,
        payload=AccountClosedPayload(reason=reason),
    )


def product_purchased(
    client_id: str,
    at: datetime,
    *,
    product_id: str,
    amount: Decimal | str,
    risk_level: str | None = None,
    event_id: str | None = None,
) -> ProductPurchased:
    return ProductPurchased(
        event_id=_id(event_id),
        occurred_at=at,
        client_id=client_id,
        payload=ProductPurchasedPayload(
            product_id=product_id, amount=Decimal(amount), risk_level=risk_level
        ),
    )


def product_redeemed(
    client_id: str,
    at: datetime,
    *,
    product_id: str,
    amount: Decimal | str,
    event_id: str | None = None,
) -> ProductRedeemed:
    return ProductRedeemed(
        event_id=_id(event_id),
        occurred_at=at,
        client_id=client_id,
        payload=ProductRedeemedPayload(product_id=product_id, amount=Decimal(amount)),
    )


def wechat_followed(client_id: str, at: datetime, *, event_id: str | None = None) -> WechatFollowed:
    return WechatFollowed(
        event_id=_id(event_id), occurred_at=at, client_id=client_id, payload=WechatFollowedPayload()
    )


def app_registered(client_id: str, at: datetime, *, event_id: str | None = None) -> AppRegistered:
    return AppRegistered(
        event_id=_id(event_id), occurred_at=at, client_id=client_id, payload=AppRegisteredPayload()
    )


def content_viewed(
    client_id: str, at: datetime, *, content_id: str, topic: str, event_id: str | None = None
) -> ContentViewed:
    return ContentViewed(
        event_id=_id(event_id),
        occurred_at=at,
        client_id=client_id,
        payload=ContentViewedPayload(content_id=content_id, topic=topic),
    )


def referral_invited(
    client_id: str, at: datetime, *, invitee_ref: str, event_id: str | None = None
) -> ReferralInvited:
    return ReferralInvited(
        event_id=_id(event_id),
        occurred_at=at,
        client_id=client_id,
        payload=ReferralInvitedPayload(invitee_ref=invitee_ref),
    )


def message_replied(
    client_id: str,
    at: datetime,
    *,
    channel: str,
    text: str,
    in_reply_to: str | None = None,
    event_id: str | None = None,
) -> MessageReplied:
    return MessageReplied(
        event_id=_id(event_id),
        occurred_at=at,
        client_id=client_id,
        payload=MessageRepliedPayload(channel=channel, text=text, in_reply_to=in_reply_to),
    )
