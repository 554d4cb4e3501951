"""A brokerage's clients living through a period: the upstream events they cause, in time order.

Deterministic: the same clients, seed and period give the same events with the same ids.
Each client keeps a small book (cash and holdings) so trades, transfers and end-of-day
positions agree with each other; prices walk a little every day.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal

from reach_contracts import Event, Holding

from reach_sim import builders as make
from reach_sim.calendar import at, evening_moment, trading_days, trading_moment
from reach_sim.population import NEW, Client

CENT = Decimal("0.01")
SYMBOLS = {  # symbol: (market, instrument type, price at the start)
    "600519": ("SSE", "stock", 1520.0),
    "000001": ("SZSE", "stock", 11.2),
    "510300": ("SSE", "etf", 3.91),
    "300750": ("SZSE", "stock", 182.0),
    "159915": ("SZSE", "etf", 2.05),
    "601318": ("SSE", "stock", 48.6),
    "688981": ("SSE", "stock", 86.3),
    "113050": ("SSE", "convertible", 118.5),
    "019666": ("SSE", "bond", 101.2),
}
PRODUCTS = (("WM-R1-CASH", "R1"), ("WM-R2-BOND", "R2"), ("FD-R3-BAL", "R3"), ("FD-R4-EQ", "R4"))
TOPICS = ("fixed_income", "ipo", "macro", "market_close", "investor_education", "funds")
# Buys are drawn around a larger median than the 9k CNY DOMAIN.md reports for all trades:
# small accounts cap them and sells of small positions pull the median of all trades down.
BUY_MEDIAN = 35000.0


@dataclass
class Book:
    cash: Decimal
    holdings: dict[str, tuple[Decimal, Decimal]] = field(
        default_factory=dict
    )  # symbol: (quantity, cost)
    funded: bool = False
    opened: bool = False
    closed: bool = False


@dataclass(frozen=True)
class DayRates:
    """Chances per trading day for one behaviour."""

    login: float
    trade: float
    content: float = 0.02


RATES = {
    "active_trader": DayRates(login=0.8, trade=0.22),
    "occasional": DayRates(login=0.15, trade=0.03),
    "sleeper": DayRates(login=0.003, trade=0.0, content=0.003),
    "churner": DayRates(login=0.2, trade=0.04),
    "deep_loss": DayRates(login=0.3, trade=0.02, content=0.04),
    "new_unfunded": DayRates(login=0.1, trade=0.0),
    "new_funded": DayRates(login=0.4, trade=0.08),
    "prospect": DayRates(login=0.2, trade=0.05),
}


class Brokerage:
    def __init__(self, clients: list[Client], *, seed: int, start: date, days: int) -> None:
        self.clients = clients
        self.seed = seed
        self.start = start
        self.end = start + timedelta(days=days - 1)
        self.sessions = trading_days(start, self.end)
        self._namespace = uuid.UUID(int=random.Random(f"ids:{seed}").getrandbits(128))
        self._books = {c.client_id: self._opening_book(c) for c in clients}
        self._prices = self._price_paths()
        self._plans = {c.client_id: self._plan(c) for c in clients}

    # --- set-up ----------------------------------------------------------------------------
    def _opening_book(self, client: Client) -> Book:
        if client.behaviour in NEW:
            return Book(cash=Decimal(0))
        rng = random.Random(f"book:{self.seed}:{client.client_id}")
        cash = (client.assets * Decimal(rng.uniform(0.15, 0.6))).quantize(CENT)
        book = Book(cash=cash, funded=client.assets > 0, opened=True)
        invested = client.assets - cash
        symbols = rng.sample(sorted(SYMBOLS), k=rng.randint(1, 3))
        for symbol in symbols:
            price = Decimal(str(SYMBOLS[symbol][2]))
            quantity = (invested / len(symbols) / price).quantize(Decimal(1))
            if quantity <= 0:
                book.cash += (invested / len(symbols)).quantize(CENT)
                continue
            ratio = (
                rng.uniform(0.4, 0.6) if client.behaviour == "deep_loss" else rng.uniform(0.85, 1.2)
            )
            book.holdings[symbol] = (
                quantity,
                (quantity * price / Decimal(str(ratio))).quantize(CENT),
            )
        return book

    def _price_paths(self) -> dict[str, dict[date, Decimal]]:
        rng = random.Random(f"prices:{self.seed}")
        paths: dict[str, dict[date, Decimal]] = {}
        for symbol, (_m, _k, start) in SYMBOLS.items():
            price, path = start, {}
            for day in self.sessions:
                price *= math.exp(rng.gauss(0, 0.018))
                path[day] = Decimal(str(round(price, 3)))
            paths[symbol] = path
        return paths

    def _plan(self, client: Client) -> dict[str, date]:
        """The days that shape a client's period: joining, funding, churning."""
        rng = random.Random(f"plan:{self.seed}:{client.client_id}")
        plan: dict[str, date] = {}
        sessions_after = lambda d: [s for s in self.sessions if s >= d]  # noqa: E731
        if client.behaviour == "prospect":
            plan["followed"] = client.opened_on
            if rng.random() < 0.6:
                plan["registered"] = client.opened_on + timedelta(days=rng.randint(1, 4))
                if rng.random() < 0.45:
                    plan["opened"] = plan["registered"] + timedelta(days=rng.randint(1, 6))
        elif client.behaviour in ("new_funded", "new_unfunded"):
            plan["opened"] = client.opened_on
        if "opened" in plan and client.behaviour != "new_unfunded" and rng.random() < 0.8:
            later = sessions_after(plan["opened"])
            if later:
                plan["funded"] = later[min(rng.randint(0, 2), len(later) - 1)]
        if client.behaviour == "churner" and self.sessions:
            plan["churned"] = rng.choice(self.sessions)
            if rng.random() < 0.5:
                plan["closed"] = plan["churned"] + timedelta(days=rng.randint(3, 10))
        return plan

    # --- events ----------------------------------------------------------------------------
    def _id(self, *parts: str) -> str:
        return str(uuid.uuid5(self._namespace, "/".join(parts)))

    def history(self) -> Iterator[Event]:
        """Onboarding of clients who joined before the period, then the period day by day."""
        prelude = [
            e
            for c in self.clients
            if c.behaviour not in NEW
            for e in self._onboarding(c, c.opened_on)
        ]
        yield from sorted(prelude, key=lambda e: e.occurred_at)
        day = self.start
        while day <= self.end:
            yield from sorted(self._day(day), key=lambda e: e.occurred_at)
            day += timedelta(days=1)

    def _birthday(self, client: Client) -> date | None:
        """A day in the client's birth year, from its own generator so no other draw moves."""
        if client.birth_year is None:
            return None
        rng = random.Random(f"birthday:{self.seed}:{client.client_id}")
        first = date(client.birth_year, 1, 1)
        length = (date(client.birth_year + 1, 1, 1) - first).days
        return first + timedelta(days=rng.randrange(length))

    def _onboarding(self, client: Client, day: date) -> list[Event]:
        rng = random.Random(f"onboarding:{self.seed}:{client.client_id}")
        opened = at(day, time(10, rng.randint(0, 59)))
        cid = client.client_id
        events: list[Event] = [
            make.account_opened(
                cid,
                opened,
                advisor_id=client.advisor_id,
                branch=client.branch,
                client_kind=client.kind,
                birth_year=client.birth_year,
                birth_date=self._birthday(client),
                gender=client.gender,
                region=client.region,
                account_id=client.account_id,
                event_id=self._id(cid, "opened"),
            ),
            make.risk_assessed(
                cid, opened, risk_level=client.risk_level, event_id=self._id(cid, "risk")
            ),
            make.contact_changed(
                cid,
                opened,
                email=client.email,
                phone=client.phone,
                wechat_openid=client.wechat_openid,
                event_id=self._id(cid, "contact"),
            ),
        ]
        if rng.random() < 0.05:
            events.append(
                make.consent_changed(
                    cid,
                    opened,
                    channel="sms",
                    granted=False,
                    source="account_opening",
                    event_id=self._id(cid, "consent", "sms"),
                )
            )
        if rng.random() < 0.04:
            events.append(
                make.consent_changed(
                    cid,
                    opened,
                    channel="email",
                    granted=False,
                    source="account_opening",
                    event_id=self._id(cid, "consent", "email"),
                )
            )
        self._books[cid].opened = True
        return events

    def _day(self, day: date) -> Iterator[Event]:
        trading = day in self._prices[next(iter(SYMBOLS))]
        week_end = trading and (
            day == self.sessions[-1]
            or self._next_session(day).isocalendar()[1] != day.isocalendar()[1]
        )
        for client in self.clients:
            rng = random.Random(f"day:{self.seed}:{client.client_id}:{day.isoformat()}")
            yield from self._client_day(client, day, rng, trading=trading, week_end=week_end)

    def _next_session(self, day: date) -> date:
        return next(s for s in self.sessions if s > day)

    def _client_day(
        self, client: Client, day: date, rng: random.Random, *, trading: bool, week_end: bool
    ) -> Iterator[Event]:
        cid, book, plan = (
            client.client_id,
            self._books[client.client_id],
            self._plans[client.client_id],
        )
        if plan.get("followed") == day:
            yield make.wechat_followed(
                cid, evening_moment(rng, day), event_id=self._id(cid, "followed")
            )
        if plan.get("registered") == day:
            yield make.app_registered(
                cid, evening_moment(rng, day), event_id=self._id(cid, "registered")
            )
        if plan.get("opened") == day:
            yield from self._onboarding(client, day)
        if not book.opened or book.closed:
            return
        if plan.get("closed") == day:
            book.closed = True
            yield make.account_closed(
                cid,
                at(day, time(16, 0)),
                reason="transferred to another broker",
                event_id=self._id(cid, "closed"),
            )
            return
        rates = RATES[client.behaviour]
        if rng.random() < rates.content:
            yield make.content_viewed(
                cid,
                evening_moment(rng, day),
                content_id=f"CT{rng.randint(1, 400):04d}",
                topic=rng.choice(TOPICS),
                event_id=self._id(cid, "content", day.isoformat()),
            )
        if rng.random() < 0.002:
            yield make.referral_invited(
                cid,
                evening_moment(rng, day),
                invitee_ref=f"REF{rng.randint(1, 10**6):07d}",
                event_id=self._id(cid, "referral", day.isoformat()),
            )
        if not trading:
            return
        tag = day.isoformat()
        moved = False
        if plan.get("funded") == day:
            amount = client.assets if client.assets > 0 else Decimal(20_000)
            book.cash += amount
            book.funded = moved = True
            yield make.transfer(
                cid,
                trading_moment(rng, day),
                direction="in",
                amount=amount,
                event_id=self._id(cid, "deposit", tag),
            )
        if plan.get("churned") == day:
            amount = (self._assets(book, day) * Decimal(rng.uniform(0.8, 1.0))).quantize(CENT)
            book.cash, book.holdings, moved = Decimal(0), {}, True
            if amount > 0:
                yield make.transfer(
                    cid,
                    trading_moment(rng, day),
                    direction="out",
                    amount=amount,
                    method="custody_transfer_out",
                    event_id=self._id(cid, "transfer-out", tag),
                )
        churned = "churned" in plan and day > plan["churned"]
        if not churned and rng.random() < rates.login:
            for n in range(rng.randint(1, 3 if client.behaviour == "active_trader" else 1)):
                yield make.login(
                    cid,
                    trading_moment(rng, day),
                    channel=rng.choice(("app", "app", "app", "pc", "web")),
                    event_id=self._id(cid, "login", tag, str(n)),
                )
        if book.funded and not churned:
            first_trade = (
                plan.get("funded")
                and day > plan["funded"]
                and not book.holdings
                and rng.random() < 0.5
            )
            if first_trade or rng.random() < rates.trade:
                trades = 2 if client.behaviour == "active_trader" and rng.random() < 0.35 else 1
                for n in range(trades):
                    trade = self._trade(client, book, day, rng, f"{tag}/{n}")
                    if trade is not None:
                        moved = True
                        yield trade
            product = self._product(client, book, day, rng, tag)
            if product is not None:
                moved = True
                yield product
        if book.funded and (moved or week_end):
            yield self._snapshot(client, book, day)

    def _trade(
        self, client: Client, book: Book, day: date, rng: random.Random, tag: str
    ) -> Event | None:
        sell = bool(book.holdings) and (rng.random() < 0.45 or book.cash < 500)
        cost_sold = None
        if sell:
            symbol = rng.choice(sorted(book.holdings))
            quantity, cost = book.holdings[symbol]
            part = (
                quantity
                if quantity < 200 or rng.random() < 0.3
                else (quantity * Decimal(rng.uniform(0.2, 0.8))).quantize(Decimal(1))
            )
            price = self._prices[symbol][day]
            amount = part * price
            book.cash += amount
            cost_sold = cost * part / quantity
            left = quantity - part
            if left > 0:
                book.holdings[symbol] = (left, (cost * left / quantity).quantize(CENT))
            else:
                del book.holdings[symbol]
        else:
            symbol = rng.choice(sorted(SYMBOLS))
            price = self._prices[symbol][day]
            wanted = Decimal(BUY_MEDIAN * rng.lognormvariate(0, 1.0))
            amount = min(wanted, book.cash * Decimal("0.95"))
            if amount < price:
                return None
            part = (amount / price).quantize(Decimal(1))
            amount = part * price
            book.cash -= amount
            held, cost = book.holdings.get(symbol, (Decimal(0), Decimal(0)))
            book.holdings[symbol] = (held + part, cost + amount)
        market, kind, _ = SYMBOLS[symbol]
        return make.trade(
            client.client_id,
            trading_moment(rng, day),
            amount=amount,
            price=price,
            symbol=symbol,
            market=market,
            instrument_type=kind,
            side="sell" if sell else "buy",
            channel=rng.choice(("app", "app", "pc", "web")),
            cost_sold=cost_sold,
            account_id=client.account_id,
            event_id=self._id(client.client_id, "trade", tag),
        )

    def _product(
        self, client: Client, book: Book, day: date, rng: random.Random, tag: str
    ) -> Event | None:
        if client.risk_level == "C1" or book.cash < 50_000 or rng.random() > 0.01:
            return None
        allowed = [p for p in PRODUCTS if int(p[1][1]) <= int(client.risk_level[1])]
        product_id, risk = rng.choice(allowed)
        amount = (book.cash * Decimal(rng.uniform(0.1, 0.4))).quantize(CENT)
        moment = trading_moment(rng, day)
        if rng.random() < 0.25:
            book.cash += amount
            return make.product_redeemed(
                client.client_id,
                moment,
                product_id=product_id,
                amount=amount,
                event_id=self._id(client.client_id, "redeemed", tag),
            )
        book.cash -= amount
        return make.product_purchased(
            client.client_id,
            moment,
            product_id=product_id,
            amount=amount,
            risk_level=f"R{risk[1]}",
            event_id=self._id(client.client_id, "purchased", tag),
        )

    def _assets(self, book: Book, day: date) -> Decimal:
        return book.cash + sum(
            (q * self._prices[s][day] for s, (q, _c) in book.holdings.items()), Decimal(0)
        )

    def _snapshot(self, client: Client, book: Book, day: date) -> Event:
        holdings = [
            Holding(
                symbol=s,
                instrument_type=SYMBOLS[s][1],
                quantity=q,
                market_value=(q * self._prices[s][day]).quantize(CENT),
                cost=c,
            )
            for s, (q, c) in sorted(book.holdings.items())
        ]
        return make.positions(
            client.client_id,
            at(day, time(15, 30)),
            trading_day=day,
            cash=max(book.cash, Decimal(0)).quantize(CENT),
            holdings=holdings,
            account_id=client.account_id,
            event_id=self._id(client.client_id, "positions", day.isoformat()),
        )
