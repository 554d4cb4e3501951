"""One trading day of upstream events for a population, in Asia/Shanghai trading hours."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from reach_contracts import (
    AccountConsentChanged,
    AccountConsentChangedPayload,
    AccountContactChanged,
    AccountContactChangedPayload,
    AccountOpened,
    AccountOpenedPayload,
    AccountRiskAssessed,
    AccountRiskAssessedPayload,
    Event,
    FundsTransferred,
    FundsTransferredPayload,
    Holding,
    LoginSucceeded,
    LoginSucceededPayload,
    PositionsSnapshot,
    PositionsSnapshotPayload,
    TradeExecuted,
    TradeExecutedPayload,
    topic_for,
)

from reach_sim.population import Client

SHANGHAI = ZoneInfo("Asia/Shanghai")
SESSIONS = ((time(9, 30), time(11, 30)), (time(13, 0), time(15, 0)))
SYMBOLS = (
    ("600519", "SSE", "stock", Decimal("1520")),
    ("000001", "SZSE", "stock", Decimal("11.2")),
    ("510300", "SSE", "etf", Decimal("3.91")),
    ("300750", "SZSE", "stock", Decimal("182")),
    ("159915", "SZSE", "etf", Decimal("2.05")),
    ("601318", "SSE", "stock", Decimal("48.6")),
)


def last_trading_day(now: datetime) -> date:
    """The latest weekday whose close (15:00 Shanghai) has passed."""
    local = now.astimezone(SHANGHAI)
    day = local.date() if local.time() >= time(15, 0) else local.date() - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


class DayGenerator:
    """Deterministic for a seed: the same population and day give the same events and ids."""

    def __init__(self, *, seed: int, day: date) -> None:
        self._rng = random.Random(seed)
        self._day = day
        self._ids = uuid.UUID(int=random.Random(seed).getrandbits(128))

    def _id(self, *parts: str) -> str:
        return str(uuid.uuid5(self._ids, "/".join(parts)))

    def _at(self, clock: time) -> datetime:
        return datetime.combine(self._day, clock, SHANGHAI)

    def _trading_moment(self) -> datetime:
        """Busier near the close: a skewed draw over the two sessions."""
        start, end = SESSIONS[0] if self._rng.random() < 0.45 else SESSIONS[1]
        span = (datetime.combine(self._day, end) - datetime.combine(self._day, start)).seconds
        offset = int(span * self._rng.random() ** 0.7)
        return self._at(start) + timedelta(seconds=offset)

    def onboarding(self, client: Client) -> list[Event]:
        """What the account systems said about a client when the account was opened."""
        opened = datetime.combine(client.opened_on, time(10, 0), SHANGHAI)
        events: list[Event] = [
            AccountOpened(
                event_id=self._id(client.client_id, "opened"),
                occurred_at=opened,
                client_id=client.client_id,
                payload=AccountOpenedPayload(
                    account_id=client.account_id,
                    opened_on=client.opened_on,
                    branch=client.branch,
                    advisor_id=client.advisor_id,
                    birth_year=client.birth_year,
                    gender=client.gender,
                    region=client.region,
                ),
            ),
            AccountRiskAssessed(
                event_id=self._id(client.client_id, "risk"),
                occurred_at=opened,
                client_id=client.client_id,
                payload=AccountRiskAssessedPayload(
                    risk_level=client.risk_level,
                    lowest_category=client.risk_level == "C1",
                    expires_on=client.opened_on + timedelta(days=730),
                    horizon="medium",
                    professional=False,
                ),
            ),
            AccountContactChanged(
                event_id=self._id(client.client_id, "contact"),
                occurred_at=opened,
                client_id=client.client_id,
                payload=AccountContactChangedPayload(email=client.email, phone=client.phone),
            ),
        ]
        if self._rng.random() < 0.04:  # a few never want marketing e-mail
            events.append(
                AccountConsentChanged(
                    event_id=self._id(client.client_id, "consent"),
                    occurred_at=opened,
                    client_id=client.client_id,
                    payload=AccountConsentChangedPayload(
                        channel="email",
                        purpose="marketing",
                        granted=False,
                        source="account_opening",
                    ),
                )
            )
        return events

    def trading_day(self, client: Client) -> list[Event]:
        """The client's logins, trades, transfers and end-of-day positions on the day."""
        b, events = client.behaviour, []
        logins = {
            "active_trader": 3,
            "occasional": 1,
            "deep_loss": 1,
            "new_funded": 2,
            "churner": 1,
        }.get(b, 0)
        for n in range(self._rng.randint(0, logins) if b == "occasional" else logins):
            events.append(
                LoginSucceeded(
                    event_id=self._id(client.client_id, "login", str(n)),
                    occurred_at=self._trading_moment(),
                    client_id=client.client_id,
                    payload=LoginSucceededPayload(
                        channel=self._rng.choice(("app", "app", "app", "pc", "web")),
                        device_id=f"D{client.client_id}",
                    ),
                )
            )
        trades = {
            "active_trader": self._rng.randint(1, 4),
            "new_funded": 1,
            "occasional": 1 if self._rng.random() < 0.3 else 0,
        }.get(b, 0)
        for n in range(trades):
            events.append(self.trade(client, str(n)))
        if b == "new_funded":
            events.append(self._transfer(client, "in", client.assets, "bank", "deposit"))
        if b == "churner":
            events.append(
                self._transfer(
                    client,
                    "out",
                    (client.assets * Decimal("0.8")).quantize(Decimal("0.01")),
                    "custody_transfer_out",
                    "transfer-out",
                )
            )
        if client.assets > 0:
            events.append(self._positions(client))
        return events

    def trade(self, client: Client, tag: str, *, at: datetime | None = None) -> TradeExecuted:
        """One trade of a typical size for the client, at `at` or a moment of the session."""
        symbol, market, kind, price = self._rng.choice(SYMBOLS)
        # median retail trade ~9k CNY, heavy tail
        target = Decimal(min(9000 * self._rng.lognormvariate(0, 1.0), float(client.assets) or 9000))
        quantity = max(Decimal(100), (target / price / 100).quantize(Decimal(1)) * 100)
        amount = (quantity * price).quantize(Decimal("0.01"))
        return TradeExecuted(
            event_id=self._id(client.client_id, "trade", tag),
            occurred_at=at or self._trading_moment(),
            client_id=client.client_id,
            payload=TradeExecutedPayload(
                account_id=client.account_id,
                trade_id=self._id(client.client_id, "trade-id", tag),
                symbol=symbol,
                market=market,
                instrument_type=kind,
                side=self._rng.choice(("buy", "sell")),
                quantity=quantity,
                price=price,
                amount=amount,
                fee=max(Decimal(5), (amount * Decimal("0.00025")).quantize(Decimal("0.01"))),
                channel=self._rng.choice(("app", "app", "pc", "web")),
            ),
        )

    def _transfer(
        self, client: Client, direction: str, amount: Decimal, method: str, tag: str
    ) -> FundsTransferred:
        return FundsTransferred(
            event_id=self._id(client.client_id, tag),
            occurred_at=self._trading_moment(),
            client_id=client.client_id,
            payload=FundsTransferredPayload(
                direction=direction, amount=max(amount, Decimal("0.01")), method=method
            ),
        )

    def _positions(self, client: Client) -> PositionsSnapshot:
        symbol, _market, kind, price = self._rng.choice(SYMBOLS)
        loss = Decimal("0.55") if client.behaviour == "deep_loss" else Decimal("0.97")
        cash = (client.assets * Decimal("0.3")).quantize(Decimal("0.01"))
        value = client.assets - cash
        held = (
            []
            if value < price * 100
            else [
                Holding(
                    symbol=symbol,
                    instrument_type=kind,
                    quantity=(value / price).quantize(Decimal(1)) or Decimal(1),
                    market_value=value,
                    cost=(value / loss).quantize(Decimal("0.01")),
                )
            ]
        )
        return PositionsSnapshot(
            event_id=self._id(client.client_id, "positions"),
            occurred_at=self._at(time(15, 30)),
            client_id=client.client_id,
            payload=PositionsSnapshotPayload(
                account_id=client.account_id,
                trading_day=self._day,
                cash=cash,
                total_assets=client.assets,
                holdings=held,
            ),
        )


def topic_of(event: Event) -> str:
    return topic_for(event.event_type).name
