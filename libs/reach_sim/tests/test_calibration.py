"""The synthetic brokerage looks like the one DOMAIN.md describes, within stated tolerances."""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from datetime import date, time

import pytest
from reach_contracts import TOPICS
from reach_sim.brokerage import Brokerage
from reach_sim.calendar import SHANGHAI, is_trading_day
from reach_sim.population import ASSET_BANDS, NEW, RISK_LEVELS, population

START = date(2026, 10, 19)


@pytest.fixture(scope="module")
def clients():
    return population(20_000, seed=11, start=START, days=30)


@pytest.fixture(scope="module")
def month():
    clients = population(5_000, seed=3, start=START, days=30)
    return clients, list(Brokerage(clients, seed=3, start=START, days=30).history())


def test_assets_per_account_follow_the_2016_distribution_within_one_and_a_half_points(
    clients,
) -> None:
    existing = [c for c in clients if c.behaviour not in NEW]
    total = sum(share for share, _, _ in ASSET_BANDS)
    for share, low, high in ASSET_BANDS:
        observed = sum(low <= c.assets < high for c in existing) / len(existing)
        assert observed == pytest.approx(share / total, abs=0.015), (low, high)


def test_risk_levels_follow_the_configured_mix_within_one_and_a_half_points(clients) -> None:
    counts = Counter(c.risk_level for c in clients)
    for level, share in RISK_LEVELS:
        assert counts[level] / len(clients) == pytest.approx(share, abs=0.015)


def test_tiers_are_drawn_by_assets_and_the_rich_are_rare(clients) -> None:
    tiers = Counter(c.tier for c in clients if c.behaviour not in NEW)
    existing = sum(tiers.values())
    assert 0.80 < tiers["general"] / existing < 0.92  # under 300k: about 86% by the 2016 bands
    assert tiers["private"] / existing < 0.01
    assert tiers["vip"] > tiers["high_net_worth"] > tiers["private"] > 0


def test_between_22_and_36_percent_of_accounts_trade_in_a_month(month) -> None:
    _clients, events = month
    opened = {e.client_id for e in events if e.event_type == "account.opened"}
    traders = {e.client_id for e in events if e.event_type == "trade.executed"}
    assert 0.22 <= len(traders) / len(opened) <= 0.36


def test_active_traders_make_five_to_seven_trades_a_month_with_a_heavy_tail(month) -> None:
    clients, events = month
    per_client = Counter(e.client_id for e in events if e.event_type == "trade.executed")
    active = [per_client[c.client_id] for c in clients if c.behaviour == "active_trader"]
    assert 5 <= statistics.median(active) <= 7
    assert max(active) >= 2 * statistics.median(active)


def test_the_median_trade_is_about_nine_thousand_yuan(month) -> None:
    _clients, events = month
    amounts = [float(e.payload.amount) for e in events if e.event_type == "trade.executed"]
    assert 6_500 <= statistics.median(amounts) <= 12_000


def test_trades_happen_only_in_shanghai_trading_hours_on_exchange_sessions(month) -> None:
    _clients, events = month
    for e in events:
        if e.event_type in ("trade.executed", "funds.transferred"):
            local = e.occurred_at.astimezone(SHANGHAI)
            assert is_trading_day(local.date()), e
            assert time(9, 30) <= local.time() <= time(11, 30) or time(
                13, 0
            ) <= local.time() <= time(15, 0), e


def test_national_day_week_has_no_sessions() -> None:
    assert not any(is_trading_day(date(2026, 10, d)) for d in range(1, 8))
    assert is_trading_day(date(2026, 10, 9))


def test_every_upstream_event_type_but_replies_occurs_in_a_month(month) -> None:
    _clients, events = month
    seen = {e.event_type for e in events}
    upstream = {
        cls.model_fields["event_type"].default
        for t in TOPICS.values()
        if t.producer == "upstream"
        for cls in t.events
    }
    # replies come from the response model, as answers to what Reach sends
    assert upstream - seen == {"message.replied"}


def test_events_come_in_time_order_and_books_stay_consistent(month) -> None:
    _clients, events = month
    period = [e for e in events if e.occurred_at.date() >= START]
    assert all(a.occurred_at <= b.occurred_at for a, b in itertools.pairwise(period))
    for e in events:
        if e.event_type == "positions.snapshot":
            held = sum(h.market_value for h in e.payload.holdings)
            assert e.payload.total_assets == e.payload.cash + held
            assert e.payload.cash >= 0


def test_prospects_follow_wechat_then_register_then_open_an_account(month) -> None:
    clients, events = month
    first: dict[tuple[str, str], object] = {}
    for e in events:
        first.setdefault((e.client_id, e.event_type), e.occurred_at)
    prospects = [c.client_id for c in clients if c.behaviour == "prospect"]
    opened = [p for p in prospects if (p, "account.opened") in first]
    assert opened, "no prospect became a client"
    for p in opened:
        assert (
            first[(p, "wechat.followed")]
            <= first[(p, "app.registered")]
            <= first[(p, "account.opened")]
        )


def test_the_same_seed_gives_the_same_events_and_another_seed_others() -> None:
    def run(seed: int) -> list[str]:
        clients = population(300, seed=seed, start=START, days=10)
        return [
            e.model_dump_json()
            for e in Brokerage(clients, seed=seed, start=START, days=10).history()
        ]

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_a_few_established_clients_are_institutions_with_no_birth_year_or_gender(clients) -> None:
    institutions = [c for c in clients if c.kind == "institution"]
    assert 0.001 <= len(institutions) / len(clients) <= 0.006  # INSTITUTION_SHARE 0.3%
    assert all(c.behaviour not in NEW for c in institutions)
    assert all(c.birth_year is None and c.gender is None for c in institutions)


def test_every_sell_carries_its_realised_pnl_and_the_deep_in_loss_mostly_lose(month) -> None:
    clients, events = month
    behaviour = {c.client_id: c.behaviour for c in clients}
    trades = [e for e in events if e.event_type == "trade.executed"]
    assert all((t.payload.realised_pnl is not None) == (t.payload.side == "sell") for t in trades)

    def losing_share(group: set[str]) -> float:
        sells = [t for t in trades if t.payload.side == "sell" and behaviour[t.client_id] in group]
        return sum(t.payload.realised_pnl < 0 for t in sells) / len(sells)

    assert losing_share({"deep_loss"}) > 0.8  # bought 40-60% above today's prices
    assert losing_share({"active_trader", "occasional"}) < 0.7
