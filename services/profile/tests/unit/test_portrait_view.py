"""The portrait as of an instant: each dimension derived from folded events, time moving it on its
own, and `review_at` naming when the reviewer should look again.

Every instant is an explicit UTC datetime; Shanghai is UTC+8, so its calendar day starts at 16:00
UTC the day before. `at(day, hour)` is `hour` o'clock in Shanghai, `day` days after 2 March 2026.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from reach_contracts import Event, Holding, Portrait, PositionsSnapshot
from reach_profile.domain.rules import DEFAULT_RULES, PortraitRules
from reach_profile.domain.state import ClientState, fold, local_day
from reach_profile.domain.view import derive, review_at
from reach_sim import builders as make

CID = "C1"
DAY0 = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)  # 00:00 on Monday 2 March 2026 in Shanghai
DAY = timedelta(days=1)


def at(day: float, hour: float = 20) -> datetime:
    """`hour` o'clock Shanghai time on the `day`-th day after 2 March 2026."""
    return DAY0 + timedelta(days=day, hours=hour)


def state_of(events: Iterable[Event], rules: PortraitRules = DEFAULT_RULES) -> ClientState:
    state = ClientState(client_id=CID)
    for event in events:
        fold(state, event, history_days=rules.history_days)
    return state


def portrait(
    events: Iterable[Event], now: datetime, rules: PortraitRules = DEFAULT_RULES
) -> dict[str, Any]:
    return derive(state_of(events, rules), now, rules)


def holding(symbol: str, value: int, *, cost: int | None = None, kind: str = "stock") -> Holding:
    return Holding(
        symbol=symbol,
        instrument_type=kind,
        quantity=Decimal(100),
        market_value=Decimal(value),
        cost=Decimal(value if cost is None else cost),
    )


def snapshot(
    when: datetime, *, cash: int | str = 0, holdings: Sequence[Holding] = ()
) -> PositionsSnapshot:
    return make.positions(
        CID, when, trading_day=local_day(when), cash=Decimal(cash), holdings=list(holdings)
    )


def daily_assets(first_day: int, values: Iterable[int]) -> list[PositionsSnapshot]:
    """One all-cash end-of-day snapshot (15:30 Shanghai) a day from `first_day` on."""
    return [snapshot(at(first_day + i, 15.5), cash=v) for i, v in enumerate(values)]


def opened(day: int = 0) -> Event:
    return make.account_opened(CID, at(day, 10))


def deposit(day: float, amount: str) -> Event:
    return make.transfer(CID, at(day, 10), direction="in", amount=amount)


def withdrawal(day: float, amount: str, method: str = "bank") -> Event:
    return make.transfer(CID, at(day, 11), direction="out", amount=amount, method=method)


# lifecycle stages


def test_someone_known_only_from_engagement_events_is_a_prospect() -> None:
    events = [
        make.wechat_followed(CID, at(0, 21)),
        make.app_registered(CID, at(1, 21)),
        make.content_viewed(CID, at(2, 21), content_id="CT1", topic="ipo"),
    ]
    p = portrait(events, at(3))
    assert p["lifecycle_stage"] == "prospect"
    assert (p["wechat_followed_at"], p["app_registered_at"]) == (at(0, 21), at(1, 21))
    assert p["opened_on"] is None


def test_an_account_with_no_money_yet_is_opened() -> None:
    p = portrait([opened()], at(1))
    assert p["lifecycle_stage"] == "opened"
    assert p["opened_on"] == date(2026, 3, 2)


def test_a_first_deposit_makes_an_opened_account_funded() -> None:
    assert portrait([opened(), deposit(1, "5000")], at(1))["lifecycle_stage"] == "funded"


@pytest.mark.parametrize(("cash", "stage"), [("10000", "valid"), ("9999.99", "funded")])
def test_an_account_becomes_valid_at_ten_thousand_of_total_assets(cash: str, stage: str) -> None:
    events = [opened(), deposit(1, "10000"), snapshot(at(1, 15.5), cash=cash)]
    assert portrait(events, at(1))["lifecycle_stage"] == stage


def test_a_client_who_traded_within_30_days_is_active_and_becomes_valid_after() -> None:
    events = [opened(), deposit(1, "50000"), snapshot(at(1, 15.5), cash=50_000)]
    events.append(make.trade(CID, at(5, 10)))
    assert portrait(events, at(5, 10) + 29 * DAY)["lifecycle_stage"] == "active"
    assert portrait(events, at(5, 10) + 31 * DAY)["lifecycle_stage"] == "valid"


def test_a_client_becomes_sleeping_90_days_after_the_last_trade_or_login_with_no_new_event() -> (
    None
):
    events = [
        opened(),
        snapshot(at(1, 15.5), cash=50_000),
        make.trade(CID, at(2, 10)),
        make.login(CID, at(12, 9)),
    ]
    state = state_of(events)
    last_activity = at(12, 9)
    before = derive(state, last_activity + 90 * DAY - timedelta(minutes=1), DEFAULT_RULES)
    after = derive(state, last_activity + 90 * DAY + timedelta(minutes=1), DEFAULT_RULES)
    assert (before["lifecycle_stage"], after["lifecycle_stage"]) == ("valid", "sleeping")


def test_a_login_keeps_a_client_who_does_not_trade_from_sleeping() -> None:
    events = [opened(), snapshot(at(1, 15.5), cash=50_000), make.trade(CID, at(2, 10))]
    events.append(make.login(CID, at(60, 9)))
    assert portrait(events, at(120))["lifecycle_stage"] == "valid"


@pytest.mark.parametrize(
    ("last_trade_days_ago", "cash", "holdings", "stage"),
    [
        (1100, "100", [], "dormant"),
        (1100, "100.01", [], "sleeping"),
        (1100, "0", [holding("600000", 50)], "sleeping"),
        (1090, "100", [], "sleeping"),
    ],
)
def test_dormant_needs_three_years_without_trade_no_securities_and_at_most_100_cash(
    last_trade_days_ago: int, cash: str, holdings: list[Holding], stage: str
) -> None:
    now = at(2000)
    events = [
        opened(),
        make.trade(CID, now - last_trade_days_ago * DAY),
        snapshot(now - 1000 * DAY, cash=cash, holdings=holdings),
    ]
    assert portrait(events, now)["lifecycle_stage"] == stage


def test_a_sleeping_client_turns_dormant_when_the_third_year_passes() -> None:
    events = [opened(), make.trade(CID, at(10, 10)), snapshot(at(11, 15.5), cash=20)]
    state = state_of(events)
    three_years = at(10, 10) + 3 * 365 * DAY
    stages = [
        derive(state, three_years + shift, DEFAULT_RULES)["lifecycle_stage"]
        for shift in (-timedelta(hours=1), timedelta(hours=1))
    ]
    assert stages == ["sleeping", "dormant"]


def test_a_closed_account_is_closed_whatever_it_did_before() -> None:
    events = [opened(), deposit(1, "50000"), make.trade(CID, at(2, 10))]
    events.append(make.account_closed(CID, at(3, 10), reason="moved abroad"))
    assert portrait(events, at(4))["lifecycle_stage"] == "closed"


# windows


def test_login_windows_count_shanghai_calendar_days_not_utc_days() -> None:
    last_of_1_march = datetime(2026, 3, 1, 15, 59, tzinfo=UTC)  # 23:59 on 1 March in Shanghai
    first_of_2_march = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)  # 00:00 on 2 March in Shanghai
    now = datetime(2026, 3, 8, 4, 0, tzinfo=UTC)  # noon on 8 March: 7 days are 2–8 March
    p = portrait([make.login(CID, last_of_1_march), make.login(CID, first_of_2_march)], now)
    assert (p["logins_7d"], p["logins_30d"], p["logins_90d"]) == (1, 2, 2)


def test_trade_windows_slide_with_now_and_drop_a_day_at_shanghai_midnight() -> None:
    events = [make.trade(CID, at(day, 10)) for day in (0, 10, 50, 88)]
    state = state_of(events)

    def windows(now: datetime) -> tuple[int, int, int]:
        p = derive(state, now, DEFAULT_RULES)
        return p["trades_7d"], p["trades_30d"], p["trades_90d"]

    assert windows(at(50)) == (1, 1, 3)
    assert windows(at(88)) == (1, 1, 4)
    # 2 March (day 0) is the first of the 90 days until 23:59:59 on 30 May, Shanghai time
    assert windows(datetime(2026, 5, 30, 15, 59, 59, tzinfo=UTC)) == (1, 1, 4)
    assert windows(datetime(2026, 5, 30, 16, 0, tzinfo=UTC)) == (1, 1, 3)
    assert windows(at(96)) == (0, 1, 3)


def test_trading_frequency_bands_count_trades_in_30_days() -> None:
    def band(n: int) -> str:
        events = [make.trade(CID, at(10, 10) + timedelta(minutes=i)) for i in range(n)]
        return portrait(events, at(20))["trading_frequency"]

    assert [band(n) for n in (0, 1, 2, 3, 9, 10)] == [
        "none",
        "low",
        "low",
        "medium",
        "medium",
        "high",
    ]


# assets and flows


def test_average_assets_take_the_last_20_snapshots_and_the_month_takes_30_days() -> None:
    events = daily_assets(0, [1000 * n for n in range(1, 26)])  # days 0..24
    p = portrait(events, at(24))
    assert p["avg_assets_20d"] == Decimal("15500.00")  # 6,000 .. 25,000
    assert p["avg_assets_month"] == Decimal("13000.00")  # 1,000 .. 25,000
    assert p["total_assets"] == Decimal(25_000)
    assert portrait(events, at(9))["avg_assets_20d"] == Decimal("5500.00")  # none after now


def test_net_inflows_and_the_largest_outflow_cover_their_windows() -> None:
    events = [
        withdrawal(0, "80000"),
        deposit(40, "200000"),
        withdrawal(85, "30000"),
        deposit(95, "5000"),
        withdrawal(98, "12000"),
    ]
    p = portrait(events, at(100))
    assert p["net_inflow_total"] == Decimal(83_000)
    assert p["net_inflow_30d"] == Decimal(-37_000)
    assert p["net_inflow_90d"] == Decimal(163_000)
    assert p["largest_outflow_90d"] == Decimal(30_000)  # the 80,000 on day 0 is 100 days old


def test_a_custody_transfer_out_flags_churn_for_90_days() -> None:
    events = [opened(), snapshot(at(0, 15.5), cash=500_000)]
    events.append(withdrawal(1, "100000", method="custody_transfer_out"))
    state = state_of(events)
    within = derive(state, at(1, 11) + 89 * DAY, DEFAULT_RULES)
    after = derive(state, at(1, 11) + 91 * DAY, DEFAULT_RULES)
    assert within["custody_transfer_out_90d"] and within["churn_reasons"] == [
        "custody_transfer_out"
    ]
    assert not after["custody_transfer_out_90d"] and not after["churn_risk"]


# performance


def test_unrealised_pnl_and_its_ratio_come_from_the_latest_snapshot() -> None:
    older = snapshot(at(1, 15.5), holdings=[holding("600519", 10_000, cost=90_000)])
    latest = snapshot(
        at(2, 15.5),
        cash=10_000,
        holdings=[
            holding("600519", 60_000, cost=40_000),
            holding("000001", 30_000, cost=35_000, kind="fund"),
        ],
    )
    p = portrait([latest, older], at(3))
    assert p["unrealised_pnl"] == Decimal(15_000)
    assert p["unrealised_pnl_ratio"] == pytest.approx(0.2)
    assert (p["total_assets"], p["cash"]) == (Decimal(100_000), Decimal(10_000))


def test_drawdown_is_measured_from_the_peak_of_the_last_90_days() -> None:
    events = [
        snapshot(at(0, 15.5), cash=2_000_000),  # 100 days before now: not the peak any more
        snapshot(at(20, 15.5), cash=1_000_000),
        snapshot(at(100, 15.5), cash=700_000),
    ]
    assert portrait(events, at(100))["drawdown_90d"] == pytest.approx(0.3)
    assert portrait(events[:2], at(20))["drawdown_90d"] == pytest.approx(0.5)


def sell(day: float, amount: int, cost: int, n: int) -> Event:
    return make.trade(
        CID,
        at(day, 10),
        amount=str(amount),
        price="10",
        side="sell",
        cost_sold=str(cost),
        event_id=f"sell{n}",
    )


def test_realised_pnl_sums_every_sell_and_its_90_day_window_slides() -> None:
    # 10,000 sold at 5 CNY fee: +995 on day 0, -2,005 on day 50, +4,995 on day 100
    events = [sell(0, 10_000, 9_000, 1), sell(50, 10_000, 12_000, 2), sell(100, 10_000, 5_000, 3)]
    p = portrait(events, at(100))
    assert p["realised_pnl_total"] == Decimal("3985.00")
    assert p["realised_pnl_90d"] == Decimal("2990.00")  # day 0 left the window
    assert (p["winning_sells"], p["losing_sells"]) == (2, 1)


def test_buys_and_sells_without_a_known_cost_leave_realised_pnl_alone() -> None:
    events = [make.trade(CID, at(1), side="buy"), make.trade(CID, at(2), side="sell")]
    p = portrait(events, at(2))
    assert (p["realised_pnl_total"], p["winning_sells"], p["losing_sells"]) == (0, 0, 0)
    assert p["past_record"] is None


@pytest.mark.parametrize(
    ("results", "record"),
    [
        ([+1000, +1000], None),  # fewer than 3 sells: too early to say
        ([+1000, +1000, -500], "success"),
        ([-3000, +500, -200], "failure"),
        ([+5000, -1000, -1000], "mixed"),  # in profit, but most sells lost
    ],
)
def test_the_past_record_needs_the_total_and_the_winning_share_to_agree(
    results: list[int], record: str | None
) -> None:
    # a sell of 20,005 with 5 fee realises exactly `result` over a cost of 20,000 - result
    events = [sell(n, 20_005, 20_000 - r, n) for n, r in enumerate(results)]
    assert portrait(events, at(10))["past_record"] == record


# holdings shape


def test_holdings_shape_gives_the_largest_share_herfindahl_and_instrument_mix() -> None:
    held = [
        holding("600519", 50_000),
        holding("000001", 30_000),
        holding("110011", 20_000, kind="fund"),
    ]
    p = portrait([snapshot(at(1, 15.5), cash=100_000, holdings=held)], at(1))
    assert p["holdings_count"] == 3
    assert p["largest_position_share"] == pytest.approx(0.5)  # of market value, cash aside
    assert p["herfindahl_index"] == pytest.approx(0.25 + 0.09 + 0.04)
    assert p["instrument_mix"] == {"fund": pytest.approx(0.2), "stock": pytest.approx(0.8)}


# value tier


@pytest.mark.parametrize(
    ("line", "tier"),
    [(300_000, "vip"), (1_000_000, "high_net_worth"), (5_000_000, "private")],
)
def test_the_tier_rises_the_day_the_20_day_average_crosses_its_line(line: int, tier: str) -> None:
    below = daily_assets(0, [line * 97 // 100] * 20)
    crossing = daily_assets(20, [line * 160 // 100])
    before, after = portrait(below, at(19)), portrait(below + crossing, at(20))
    assert before["avg_assets_20d"] < line <= after["avg_assets_20d"]
    assert before["value_tier"] != tier
    assert after["value_tier"] == tier


def test_a_higher_tier_is_held_for_90_days_after_the_average_falls_below_its_line() -> None:
    # 20 days at 1.2M then 20 at 100k: the 20-day average stays >= 1M until day 22
    # (17 x 1.2M + 3 x 100k) and >= 300k until day 35 (4 x 1.2M + 16 x 100k).
    state = state_of(daily_assets(0, [1_200_000] * 20 + [100_000] * 20))

    def tier(day: int) -> str:
        return derive(state, at(day), DEFAULT_RULES)["value_tier"]

    assert derive(state, at(39), DEFAULT_RULES)["avg_assets_20d"] == Decimal(100_000)
    assert [tier(d) for d in (19, 39, 111)] == ["high_net_worth"] * 3
    assert [tier(d) for d in (112, 124)] == ["vip", "vip"]
    assert tier(125) == "general"


def test_an_institution_is_tiered_apart_whatever_its_assets() -> None:
    events = [
        make.account_opened(
            CID, at(0), client_kind="institution", birth_year=None, gender=None, event_id="o"
        ),
        *daily_assets(0, [50_000] * 5),
    ]
    p = portrait(events, at(4))
    assert (p["client_kind"], p["value_tier"], p["age_band"]) == (
        "institution",
        "institutional",
        None,
    )
    assert portrait([opened(), *daily_assets(0, [50_000])], at(1))["client_kind"] == "individual"


def test_the_birthday_is_the_month_and_day_of_the_birth_date_when_the_account_gave_one() -> None:
    born = make.account_opened(CID, at(0), birth_year=1988, birth_date=date(1988, 2, 29))
    assert portrait([born], at(1))["birthday"] == "02-29"
    assert portrait([make.account_opened(CID, at(0))], at(1))["birthday"] is None


# churn reasons


@pytest.mark.parametrize(
    ("outflow", "assets_after", "flagged"),
    [("600000", 400_000, True), ("400000", 600_000, False)],
)
def test_a_net_outflow_over_half_the_assets_in_30_days_is_a_churn_reason(
    outflow: str, assets_after: int, flagged: bool
) -> None:
    # the share is of the assets held before the month's flows: here 1,000,000
    events = [opened(), withdrawal(35, outflow), snapshot(at(35, 15.5), cash=assets_after)]
    p = portrait(events, at(40))
    assert ("net_outflow" in p["churn_reasons"]) is flagged
    assert p["churn_risk"] is flagged


@pytest.mark.parametrize(("recent_logins", "flagged"), [(1, True), (3, False)])
def test_activity_falling_against_the_clients_own_previous_60_days_is_a_churn_reason(
    recent_logins: int, flagged: bool
) -> None:
    # 20 logins in days 1..60 set a baseline of 10 a month; below 30% of it (3) is falling
    earlier = [make.login(CID, at(day, 9)) for day in range(3, 61, 3)]
    recent = [make.login(CID, at(80, 9) + timedelta(minutes=i)) for i in range(recent_logins)]
    p = portrait([opened(), *earlier, *recent], at(90))
    assert (p["logins_90d"], p["logins_30d"]) == (20 + recent_logins, recent_logins)
    assert ("falling_activity" in p["churn_reasons"]) is flagged


def test_a_client_who_always_logged_in_rarely_is_not_falling() -> None:
    events = [opened(), make.login(CID, at(10, 9)), make.login(CID, at(40, 9))]
    assert portrait(events, at(90))["churn_reasons"] == []


# qualifications


def qualification_history(
    average: int, *, first_trade_day: int = 100, risk_level: str = "C3", valid_days: int = 730
) -> list[Event]:
    """Opened on day 0, assessed on day 250, 20 daily snapshots at `average` up to day 300."""
    return [
        opened(),
        make.trade(CID, at(first_trade_day, 10)),
        make.risk_assessed(CID, at(250, 10), risk_level=risk_level, valid_days=valid_days),
        *daily_assets(281, [average] * 20),
    ]


@pytest.mark.parametrize(
    ("average", "first_trade_day", "risk_level", "eligible"),
    [
        (500_000, 100, "C3", True),  # 0.55 years in market
        (499_999, 100, "C3", False),
        (500_000, 150, "C3", False),  # 0.41 years since the first trade
        (500_000, 100, "C2", False),
    ],
)
def test_margin_needs_500k_average_half_a_year_in_market_and_a_valid_c3(
    average: int, first_trade_day: int, risk_level: str, eligible: bool
) -> None:
    history = qualification_history(average, first_trade_day=first_trade_day, risk_level=risk_level)
    p = portrait(history, at(300))
    assert p["margin_eligible"] is eligible


def test_years_in_market_count_from_the_first_trade() -> None:
    p = portrait(qualification_history(500_000, first_trade_day=100), at(300))
    assert p["years_in_market"] == round(200 / 365.25, 1)  # tenths of a year: fewer versions


@pytest.mark.parametrize(
    ("average", "near"), [(399_999, False), (400_000, True), (499_999, True), (500_000, False)]
)
def test_near_qualification_means_a_20_day_average_from_400k_to_just_below_500k(
    average: int, near: bool
) -> None:
    assert portrait(qualification_history(average), at(300))["near_qualification"] is near


def test_an_expired_risk_assessment_is_not_valid_and_removes_margin_eligibility() -> None:
    p = portrait(qualification_history(600_000, valid_days=40), at(300))
    assert p["risk_level"] == "C3"
    assert p["risk_expires_on"] == date(2026, 3, 2) + timedelta(days=290)
    assert p["risk_assessment_valid"] is False
    assert p["margin_eligible"] is False


# preferences and consents


def test_preferences_come_from_logins_trades_purchases_content_and_replies() -> None:
    logins = [
        make.login(CID, at(1, h), channel=c) for h, c in ((9, "app"), (10, "app"), (11, "pc"))
    ]
    trades = [make.trade(CID, at(2, 10), instrument_type="stock")]
    trades += [make.trade(CID, at(2, 11), instrument_type="fund") for _ in range(2)]
    purchases = [
        make.product_purchased(CID, at(3, 10), product_id=f"P{i}", amount="30000") for i in range(3)
    ]
    topics = ["ipo", "ipo", "ipo", "macro", "macro", "funds", "funds", "bonds"]
    content = [
        make.content_viewed(CID, at(4, 21), content_id=f"CT{i}", topic=t)
        for i, t in enumerate(topics)
    ]
    replies = [make.message_replied(CID, at(5, 12), channel=c, text="ok") for c in ("sms", "sms")]
    replies.append(make.message_replied(CID, at(5, 13), channel="email", text="thanks"))
    p = portrait([*logins, *trades, *purchases, *content, *replies], at(6))
    assert p["preferred_channel"] == "app"
    assert p["preferred_instrument"] == "wealth_product"  # three purchases beat two fund trades
    assert p["content_interests"] == ["ipo", "funds", "macro"]  # ties alphabetically
    assert p["responsive_channels"] == ["sms", "email"]
    assert (p["products_bought"], p["product_amount_total"]) == (3, Decimal(90_000))


def test_redemptions_are_counted_and_netted_against_purchases() -> None:
    purchases = [
        make.product_purchased(CID, at(1, 10), product_id=f"P{i}", amount="30000") for i in range(2)
    ]
    redeemed = make.product_redeemed(CID, at(2, 10), product_id="P0", amount="45000")
    p = portrait([*purchases, redeemed], at(3))
    assert (p["products_redeemed"], p["product_amount_redeemed"]) == (1, Decimal(45_000))
    assert p["product_net_amount"] == Decimal(15_000)
    assert p["products_bought"] == 2
    assert p["preferred_instrument"] == "wealth_product"  # a redemption is not a preference


def test_the_latest_consent_per_channel_and_purpose_wins_by_event_time() -> None:
    withdrawn = make.consent_changed(
        CID, at(5, 9), channel="sms", granted=False, source="sms_reply", event_id="z-1"
    )
    granted = make.consent_changed(CID, at(1, 9), channel="sms", granted=True, event_id="z-2")
    service = make.consent_changed(CID, at(2, 9), channel="sms", purpose="service", granted=True)
    p = portrait([withdrawn, granted, service], at(6))
    assert p["consents"]["sms/marketing"] == {
        "granted": False,
        "source": "sms_reply",
        "at": at(5, 9).isoformat(),
    }
    assert p["consents"]["sms/service"]["granted"] is True


# the contract


def test_the_derived_fields_are_exactly_the_contracts_and_validate_against_it() -> None:
    events = [*qualification_history(600_000), make.login(CID, at(300, 9))]
    fields = portrait(events, at(300))
    assert set(fields) == set(Portrait.model_fields) - {"version", "as_of"}
    Portrait.model_validate({"version": 1, "as_of": at(300), **fields})


# review_at


def test_recent_activity_is_reviewed_at_the_next_shanghai_midnight() -> None:
    state = state_of([make.login(CID, at(5, 10))])
    late_evening = datetime(2026, 3, 7, 15, 0, tzinfo=UTC)  # 23:00 on 7 March in Shanghai
    midnight = datetime(2026, 3, 7, 16, 0, tzinfo=UTC)  # 00:00 on 8 March in Shanghai
    assert review_at(state, late_evening, DEFAULT_RULES) == midnight
    assert review_at(state, midnight, DEFAULT_RULES) == midnight + DAY


def test_an_idle_client_is_reviewed_at_the_sleeping_threshold_when_it_comes_before_midnight() -> (
    None
):
    state = state_of([opened(), make.login(CID, at(10, 10))])
    threshold = at(10, 10) + 90 * DAY  # 10:00 on day 100
    due = review_at(state, at(100, 5), DEFAULT_RULES)
    assert due is not None and threshold <= due < at(101, 0)
    assert derive(state, at(100, 9), DEFAULT_RULES)["lifecycle_stage"] == "opened"
    assert derive(state, at(100, 11), DEFAULT_RULES)["lifecycle_stage"] == "sleeping"


EVERYTHING = [
    opened(),
    make.risk_assessed(CID, at(0, 10), valid_days=60),
    deposit(1, "50000"),
    snapshot(at(1, 15.5), cash=50_000),
    make.trade(CID, at(2, 10)),
    make.login(CID, at(3, 10)),
    withdrawal(4, "1000", method="custody_transfer_out"),
]


@pytest.mark.parametrize(
    "now",
    [
        at(2, 10),
        at(3, 0),  # a Shanghai midnight
        at(2, 10) + 30 * DAY,  # the end of the active window
        at(61, 0),  # the first day after the assessment expired
        at(3, 10) + 90 * DAY,  # the sleeping threshold
        at(4, 11) + 90 * DAY,  # the custody transfer-out leaving its window
        at(2000),
    ],
)
def test_review_at_is_always_after_now(now: datetime) -> None:
    due = review_at(state_of(EVERYTHING), now, DEFAULT_RULES)
    assert due is None or due > now


def changes_before_review(state: ClientState, now: datetime, probes: int = 48) -> dict[str, Any]:
    """What time alone changes in the portrait after `now` but before `review_at` (sampled):
    field -> (value at now, value at the first instant it differs); empty when nothing."""
    due = review_at(state, now, DEFAULT_RULES) or now + 4 * 365 * DAY
    step = (due - now) / probes
    instants = [now + step * k for k in range(1, probes)] + [due - timedelta(microseconds=1)]
    expected = derive(state, now, DEFAULT_RULES)
    for instant in instants:
        seen = derive(state, instant, DEFAULT_RULES)
        if seen != expected:
            return {k: (v, seen[k]) for k, v in expected.items() if seen[k] != v}
    return {}


@pytest.mark.parametrize("now", [at(3, 11), at(10, 0), at(20, 15), at(33, 23)])
def test_time_alone_changes_nothing_before_review_at_for_an_active_client(now: datetime) -> None:
    history = [*EVERYTHING[:6], *daily_assets(5, range(10_000, 40_000, 1000))]
    assert changes_before_review(state_of(history), now) == {}


def test_the_custody_transfer_out_flag_is_reviewed_when_it_leaves_its_90_days() -> None:
    # the transfer at 11:00 on day 4 leaves the window at 11:00 on day 94: review by then
    state = state_of(EVERYTHING)
    assert changes_before_review(state, at(94, 5)) == {}


def test_years_in_market_of_a_client_with_no_daily_activity_is_kept_current() -> None:
    state = state_of([opened()])
    assert changes_before_review(state, at(1)) == {}


# configurable definitions


def test_the_definitions_follow_the_rules_given() -> None:
    quick = PortraitRules(sleeping_days=30, valid_assets=Decimal(50_000))
    events = [opened(), snapshot(at(1, 15.5), cash=20_000), make.login(CID, at(10, 9))]
    assert portrait(events, at(45), DEFAULT_RULES)["lifecycle_stage"] == "valid"
    assert portrait(events, at(45), quick)["lifecycle_stage"] == "sleeping"
    assert portrait(events, at(20), quick)["lifecycle_stage"] == "funded"
    assert review_at(state_of(events, quick), at(40, 5), quick) == at(10, 9) + 30 * DAY
