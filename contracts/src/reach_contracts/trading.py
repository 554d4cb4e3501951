"""Events from the trading system: trades, logins, fund transfers and end-of-day positions."""

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field

from reach_contracts.enums import (
    InstrumentType,
    LoginChannel,
    Market,
    Side,
    TradeChannel,
    TransferDirection,
    TransferMethod,
)
from reach_contracts.envelope import Event, Payload
from reach_contracts.values import Identifier, Money, Price, Quantity, SignedMoney


class TradeExecutedPayload(Payload):
    """One fill of a client's order."""

    account_id: Identifier
    trade_id: Identifier = Field(description="Unique per fill within the account")
    symbol: str = Field(min_length=1, max_length=32)
    market: Market
    instrument_type: InstrumentType
    side: Side
    quantity: Quantity
    price: Price
    amount: Money = Field(description="Traded value in CNY, before fees")
    fee: Money = Field(description="Commission, stamp duty and other charges in CNY")
    channel: TradeChannel
    realised_pnl: SignedMoney | None = Field(
        default=None,
        description="On a sell: the profit or loss of this fill after fees, in CNY, by the "
        "trading system's own cost method; null on buys or when unknown",
    )


class TradeExecuted(Event):
    """A client's order was (partly) filled."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "trd-20261123-0000981234",
                    "event_type": "trade.executed",
                    "schema_version": 1,
                    "occurred_at": "2026-11-23T09:31:02.123+08:00",
                    "client_id": "C00012345",
                    "payload": {
                        "account_id": "A310000012345",
                        "trade_id": "T20261123SH00458812",
                        "symbol": "600519",
                        "market": "SSE",
                        "instrument_type": "stock",
                        "side": "buy",
                        "quantity": "100",
                        "price": "1523.50",
                        "amount": "152350.00",
                        "fee": "45.71",
                        "channel": "app",
                    },
                }
            ]
        }
    )

    event_type: Literal["trade.executed"] = "trade.executed"
    payload: TradeExecutedPayload


class LoginSucceededPayload(Payload):
    """Where and from which device a client logged in."""

    channel: LoginChannel
    device_id: Identifier


class LoginSucceeded(Event):
    """A client logged in to a trading channel."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "lgn-20261123-0003310042",
                    "event_type": "login.succeeded",
                    "schema_version": 1,
                    "occurred_at": "2026-11-23T08:47:15.402+08:00",
                    "client_id": "C00012345",
                    "payload": {"channel": "app", "device_id": "ios-7F3A9C21E4B8"},
                }
            ]
        }
    )

    event_type: Literal["login.succeeded"] = "login.succeeded"
    payload: LoginSucceededPayload


class FundsTransferredPayload(Payload):
    """Money moved between the brokerage account and the outside."""

    direction: TransferDirection
    amount: Money
    method: TransferMethod = Field(
        description="bank: bank-securities transfer; custody_transfer_out: holdings moved to "
        "another broker (a churn signal)"
    )


class FundsTransferred(Event):
    """Money (or custody) moved into or out of a client's account."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "fnd-20261120-0000150077",
                    "event_type": "funds.transferred",
                    "schema_version": 1,
                    "occurred_at": "2026-11-20T14:05:40+08:00",
                    "client_id": "C00012345",
                    "payload": {"direction": "out", "amount": "1500000.00", "method": "bank"},
                }
            ]
        }
    )

    event_type: Literal["funds.transferred"] = "funds.transferred"
    payload: FundsTransferredPayload


class Holding(Payload):
    """One position in an end-of-day snapshot."""

    symbol: str = Field(min_length=1, max_length=32)
    instrument_type: InstrumentType
    quantity: Quantity
    market_value: Money = Field(description="Closing value in CNY")
    # Diluted cost (摊薄成本) goes negative once realised gains exceed the money put in.
    cost: SignedMoney = Field(description="Total cost basis in CNY; may be negative")


class PositionsSnapshotPayload(Payload):
    """An account's cash, total assets and holdings at the close of a trading day."""

    account_id: Identifier
    trading_day: date
    cash: Money
    total_assets: Money
    holdings: tuple[Holding, ...] = ()


class PositionsSnapshot(Event):
    """End-of-day positions of one account."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "pos-20261123-A310000012345",
                    "event_type": "positions.snapshot",
                    "schema_version": 1,
                    "occurred_at": "2026-11-23T16:30:00+08:00",
                    "client_id": "C00012345",
                    "payload": {
                        "account_id": "A310000012345",
                        "trading_day": "2026-11-23",
                        "cash": "48210.35",
                        "total_assets": "412760.35",
                        "holdings": [
                            {
                                "symbol": "600519",
                                "instrument_type": "stock",
                                "quantity": "200",
                                "market_value": "304700.00",
                                "cost": "298120.00",
                            },
                            {
                                "symbol": "510300",
                                "instrument_type": "etf",
                                "quantity": "15000",
                                "market_value": "59850.00",
                                "cost": "61275.00",
                            },
                        ],
                    },
                }
            ]
        }
    )

    event_type: Literal["positions.snapshot"] = "positions.snapshot"
    payload: PositionsSnapshotPayload
