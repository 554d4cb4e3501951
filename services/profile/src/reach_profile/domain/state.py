"""What the profile service remembers of a client: a fold of its events that gives the same
result in any order (sums, minima and maxima, and latest-by-occurred_at values), so a late or
shuffled event changes nothing but what it should. Duplicates are removed before the fold,
by the consumer's inbox.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field
from reach_contracts import Event

SHANGHAI = ZoneInfo("Asia/Shanghai")
Stamp = tuple[datetime, str]  # (occurred_at, event_id): a total order for latest-wins fields


class Snapshot(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stamp: Stamp
    total_assets: Decimal
    cash: Decimal
    market_value: Decimal
    cost: Decimal
    holdings: int
    largest_share: float
    herfindahl: float
    mix: dict[str, float]  # instrument type -> share of market value


class Day(BaseModel):
    """One Shanghai calendar day of a client's activity."""

    model_config = ConfigDict(extra="forbid")
    logins: int = 0
    trades: int = 0
    trade_amount: Decimal = Decimal(0)
    realised_pnl: Decimal = Decimal(0)
    inflow: Decimal = Decimal(0)
    outflow: Decimal = Decimal(0)
    largest_outflow: Decimal = Decimal(0)
    custody_out: bool = False
    snapshot: Snapshot | None = None


class Latest(BaseModel):
    """A value that the newest event (by occurred_at, then event id) decides."""

    model_config = ConfigDict(extra="forbid")
    stamp: Stamp
    value: dict


class ClientState(BaseModel):
    model_config = ConfigDict(extra="forbid")
    client_id: str
    latest_event_at: datetime | None = None
    account: Latest | None = (
        None  # client_kind, opened_on, branch, advisor_id, birth_year, birth_date, gender, region
    )
    risk: Latest | None = None  # risk_level, lowest_category, expires_on, horizon, professional
    consents: dict[str, Latest] = Field(
        default_factory=dict
    )  # "channel/purpose" -> granted, source
    closed_at: datetime | None = None
    first_trade_at: datetime | None = None
    last_trade_at: datetime | None = None
    last_login_at: datetime | None = None
    last_custody_out_at: datetime | None = None
    first_funded_at: datetime | None = None
    wechat_followed_at: datetime | None = None
    app_registered_at: datetime | None = None
    trade_count: int = 0
    trade_amount_total: Decimal = Decimal(0)
    realised_pnl_total: Decimal = Decimal(0)
    winning_sells: int = 0
    losing_sells: int = 0
    login_count: int = 0
    net_inflow_total: Decimal = Decimal(0)
    products_bought: int = 0
    product_amount_total: Decimal = Decimal(0)
    products_redeemed: int = 0
    product_amount_redeemed: Decimal = Decimal(0)
    referrals: int = 0
    trades_by_instrument: dict[str, int] = Field(default_factory=dict)
    logins_by_channel: dict[str, int] = Field(default_factory=dict)
    content_by_topic: dict[str, int] = Field(default_factory=dict)
    replies_by_channel: dict[str, int] = Field(default_factory=dict)
    latest_snapshot: Snapshot | None = None
    days: dict[str, Day] = Field(default_factory=dict)  # ISO Shanghai date -> activity


def local_day(instant: datetime) -> date:
    return instant.astimezone(SHANGHAI).date()


def _min(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b < a else a


def _max(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b > a else a


def _later(current: Latest | None, stamp: Stamp, value: dict) -> Latest:
    return Latest(stamp=stamp, value=value) if current is None or stamp > current.stamp else current


def _count(counts: dict[str, int], key: str, n: int = 1) -> None:
    counts[key] = counts.get(key, 0) + n


def _snapshot(event: Event) -> Snapshot:
    p = event.payload
    value = sum((h.market_value for h in p.holdings), Decimal(0))
    shares = [float(h.market_value / value) for h in p.holdings] if value > 0 else []
    mix: dict[str, float] = {}
    for h, share in zip(p.holdings, shares, strict=False):
        mix[str(h.instrument_type)] = round(mix.get(str(h.instrument_type), 0.0) + share, 6)
    return Snapshot(
        stamp=(event.occurred_at, event.event_id),
        total_assets=p.total_assets,
        cash=p.cash,
        market_value=value,
        cost=sum((h.cost for h in p.holdings), Decimal(0)),
        holdings=len(p.holdings),
        largest_share=round(max(shares, default=0.0), 6),
        herfindahl=round(sum(s * s for s in shares), 6),
        mix=mix,
    )


_DAILY = {"trade.executed", "login.succeeded", "funds.transferred", "positions.snapshot"}
# The event types `fold` reads. Any other type only moves `latest_event_at` (and what is pruned
# with it): the profile handler does not derive the portrait again for those.
FOLDED_EVENT_TYPES = frozenset(
    {
        *_DAILY,
        "account.opened",
        "account.risk_assessed",
        "account.consent_changed",
        "account.closed",
        "product.purchased",
        "product.redeemed",
        "wechat.followed",
        "app.registered",
        "content.viewed",
        "referral.invited",
        "message.replied",
    }
)


def fold(state: ClientState, event: Event, *, history_days: int) -> ClientState:
    """The state after one more event (mutates and returns `state`)."""
    at, p, kind = event.occurred_at.astimezone(UTC), event.payload, event.event_type
    stamp: Stamp = (at, event.event_id)
    state.latest_event_at = _max(state.latest_event_at, at)
    if kind in _DAILY:
        day = state.days.setdefault(local_day(at).isoformat(), Day())
    if kind == "trade.executed":
        state.trade_count += 1
        state.trade_amount_total += p.amount
        state.first_trade_at = _min(state.first_trade_at, at)
        state.last_trade_at = _max(state.last_trade_at, at)
        _count(state.trades_by_instrument, str(p.instrument_type))
        day.trades += 1
        day.trade_amount += p.amount
        if p.realised_pnl is not None:
            state.realised_pnl_total += p.realised_pnl
            day.realised_pnl += p.realised_pnl
            state.winning_sells += p.realised_pnl > 0
            state.losing_sells += p.realised_pnl < 0
    elif kind == "login.succeeded":
        state.login_count += 1
        state.last_login_at = _max(state.last_login_at, at)
        _count(state.logins_by_channel, str(p.channel))
        day.logins += 1
    elif kind == "funds.transferred":
        if p.direction == "in":
            state.net_inflow_total += p.amount
            state.first_funded_at = _min(state.first_funded_at, at)
            day.inflow += p.amount
        else:
            state.net_inflow_total -= p.amount
            day.outflow += p.amount
            day.largest_outflow = max(day.largest_outflow, p.amount)
            if p.method == "custody_transfer_out":
                day.custody_out = True
                state.last_custody_out_at = _max(state.last_custody_out_at, at)
    elif kind == "positions.snapshot":
        snapshot = _snapshot(event)
        if day.snapshot is None or snapshot.stamp > day.snapshot.stamp:
            day.snapshot = snapshot
        if state.latest_snapshot is None or snapshot.stamp > state.latest_snapshot.stamp:
            state.latest_snapshot = snapshot
        if p.total_assets > 0:
            state.first_funded_at = _min(state.first_funded_at, at)
    elif kind == "account.opened":
        state.account = _later(
            state.account, stamp, p.model_dump(mode="json", exclude={"account_id"})
        )
    elif kind == "account.risk_assessed":
        state.risk = _later(state.risk, stamp, p.model_dump(mode="json"))
    elif kind == "account.consent_changed":
        key = f"{p.channel}/{p.purpose}"
        value = {"granted": p.granted, "source": p.source, "at": at.isoformat()}
        state.consents[key] = _later(state.consents.get(key), stamp, value)
    elif kind == "account.closed":
        state.closed_at = _min(state.closed_at, at)
    elif kind == "product.purchased":
        state.products_bought += 1
        state.product_amount_total += p.amount
        _count(state.trades_by_instrument, "wealth_product")
    elif kind == "product.redeemed":
        state.products_redeemed += 1
        state.product_amount_redeemed += p.amount
    elif kind == "wechat.followed":
        state.wechat_followed_at = _min(state.wechat_followed_at, at)
    elif kind == "app.registered":
        state.app_registered_at = _min(state.app_registered_at, at)
    elif kind == "content.viewed":
        _count(state.content_by_topic, p.topic)
    elif kind == "referral.invited":
        state.referrals += 1
    elif kind == "message.replied":
        _count(state.replies_by_channel, str(p.channel))
    _prune(state, history_days)
    return state


def _prune(state: ClientState, history_days: int) -> None:
    # The horizon moves only forward (it follows the latest event seen), so what is pruned is
    # the same whatever order the events came in.
    if state.latest_event_at is None:
        return
    horizon = (local_day(state.latest_event_at) - timedelta(days=history_days)).isoformat()
    for key in [k for k in state.days if k < horizon]:
        del state.days[key]
