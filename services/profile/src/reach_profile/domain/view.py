"""The portrait as of an instant: every dimension of DOMAIN.md derived from the client's state.

Derivation is pure and reads the clock only through `now`, so the same state and instant give
the same portrait, and time alone can change it (a client becomes sleeping with no new event).
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from reach_profile.domain.rules import PortraitRules
from reach_profile.domain.state import SHANGHAI, ClientState, Day, Snapshot, local_day

RISK_ORDER = {"C1": 1, "C2": 2, "C3": 3, "C4": 4, "C5": 5}
TIER_ORDER = ("general", "vip", "high_net_worth", "private")


def _window(days: dict[str, Day], today: date, length: int) -> list[Day]:
    first = (today - timedelta(days=length - 1)).isoformat()
    last = today.isoformat()
    return [d for k, d in days.items() if first <= k <= last]


def _snapshots(days: dict[str, Day], until: date) -> list[tuple[str, Snapshot]]:
    last = until.isoformat()
    return sorted((k, d.snapshot) for k, d in days.items() if d.snapshot is not None and k <= last)


def _mean(values: list[Decimal]) -> Decimal | None:
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01")) if values else None


def _tier(assets: Decimal | None, rules: PortraitRules) -> str:
    if assets is None:
        return "general"
    return next((name for line, name in rules.tier_lines if assets >= line), "general")


def _value_tier(days: dict[str, Day], today: date, rules: PortraitRules) -> str:
    """Upgrade at once, downgrade only after `tier_hold_days` below the line: the highest tier
    that the 20-day average assets reached on any day of the hold period."""
    series = _snapshots(days, today)
    best = "general"
    start = (today - timedelta(days=rules.tier_hold_days - 1)).isoformat()
    for i, (key, _snapshot) in enumerate(series):
        if key < start:
            continue
        average = _mean([s.total_assets for _k, s in series[max(0, i - 19) : i + 1]])
        tier = _tier(average, rules)
        if TIER_ORDER.index(tier) > TIER_ORDER.index(best):
            best = tier
    return best


def _past_record(state: ClientState, rules: PortraitRules) -> str | None:
    """success or failure when realised P&L and the share of winning sells agree, else mixed."""
    sells = state.winning_sells + state.losing_sells
    if sells < rules.past_record_min_sells:
        return None
    winning = state.winning_sells / sells
    if state.realised_pnl_total > 0 and winning >= 0.5:
        return "success"
    if state.realised_pnl_total < 0 and winning <= 0.5:
        return "failure"
    return "mixed"


def _age_band(birth_year: int | None, today: date) -> str | None:
    if birth_year is None:
        return None
    age = today.year - birth_year
    for limit, band in ((30, "under_30"), (40, "30_39"), (50, "40_49"), (60, "50_59")):
        if age < limit:
            return band
    return "60_plus"


def _top(counts: dict[str, int], n: int = 1) -> list[str]:
    return [k for k, _v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def _years(since: datetime | date | None, now: datetime) -> float | None:
    if since is None:
        return None
    start = (
        since if isinstance(since, date) and not isinstance(since, datetime) else local_day(since)
    )
    return round((local_day(now) - start).days / 365.25, 1)


def _older_than(instant: datetime | None, now: datetime, days: int) -> bool:
    """No instant, or one at least `days` before now (so at the threshold itself it holds)."""
    return instant is None or instant <= now - timedelta(days=days)


def derive(state: ClientState, now: datetime, rules: PortraitRules) -> dict[str, Any]:
    """The portrait fields (as in the contract's Portrait, less version and as_of)."""
    today = local_day(now)
    account = state.account.value if state.account else {}
    risk = state.risk.value if state.risk else {}
    snapshot = state.latest_snapshot
    w7, w30, w90 = (_window(state.days, today, n) for n in (7, 30, 90))
    snaps = _snapshots(state.days, today)
    avg20 = _mean([s.total_assets for _k, s in snaps[-20:]])
    month = (today - timedelta(days=29)).isoformat()
    avg_month = _mean([s.total_assets for k, s in snaps if k >= month])
    since90 = (today - timedelta(days=89)).isoformat()
    peak90 = max((s.total_assets for k, s in snaps if k >= since90), default=None)
    total = snapshot.total_assets if snapshot else None
    opened_on = date.fromisoformat(account["opened_on"]) if account.get("opened_on") else None
    risk_expires = date.fromisoformat(risk["expires_on"]) if risk.get("expires_on") else None
    risk_valid = bool(risk) and risk_expires is not None and risk_expires >= today
    in_market = _years(state.first_trade_at or opened_on, now)
    net30 = sum((d.inflow - d.outflow for d in w30), Decimal(0))
    trades30 = sum(d.trades for d in w30)
    activity30 = trades30 + sum(d.logins for d in w30)
    activity_before = sum(d.trades + d.logins for d in w90) - activity30  # the 60 days before
    reasons = []
    if state.last_custody_out_at and not _older_than(state.last_custody_out_at, now, 90):
        reasons.append("custody_transfer_out")
    base = (total or Decimal(0)) - net30  # assets before the month's flows
    if net30 < 0 and base > 0 and -net30 > base * Decimal(str(rules.churn_outflow_share)):
        reasons.append("net_outflow")
    if activity_before >= 8 and activity30 < rules.churn_activity_drop * activity_before / 2:
        reasons.append("falling_activity")
    qualified_assets = avg20 is not None and avg20 >= rules.qualification_assets
    level = RISK_ORDER.get(risk.get("risk_level", ""), 0) if risk_valid else 0
    portrait = {
        # identity and tenure
        "client_kind": account.get("client_kind", "individual") if account else None,
        "opened_on": opened_on,
        "branch": account.get("branch"),
        "advisor_id": account.get("advisor_id"),
        "region": account.get("region"),
        "gender": account.get("gender"),
        "age_band": _age_band(account.get("birth_year"), today),
        "birthday": (account.get("birth_date") or "")[5:] or None,  # "YYYY-MM-DD" -> "MM-DD"
        "years_in_market": in_market,
        # risk and eligibility
        "risk_level": risk.get("risk_level"),
        "lowest_category": risk.get("lowest_category"),
        "risk_expires_on": risk_expires,
        "risk_assessment_valid": risk_valid,
        "professional_investor": risk.get("professional"),
        "investment_horizon": risk.get("horizon"),
        "margin_eligible": qualified_assets and (in_market or 0) >= 0.5 and level >= 3,
        "star_market_eligible": qualified_assets and (in_market or 0) >= 2,
        "options_eligible": qualified_assets and (in_market or 0) >= 0.5 and level >= 4,
        "near_qualification": (not qualified_assets)
        and avg20 is not None
        and avg20 >= rules.qualification_near,
        # activity
        "last_login_at": state.last_login_at,
        "last_trade_at": state.last_trade_at,
        "first_trade_at": state.first_trade_at,
        "login_count": state.login_count,
        "trade_count": state.trade_count,
        "trade_amount_total": state.trade_amount_total,
        "logins_7d": sum(d.logins for d in w7),
        "logins_30d": sum(d.logins for d in w30),
        "logins_90d": sum(d.logins for d in w90),
        "trades_7d": sum(d.trades for d in w7),
        "trades_30d": trades30,
        "trades_90d": sum(d.trades for d in w90),
        "preferred_channel": next(iter(_top(state.logins_by_channel)), None),
        "trading_frequency": "none"
        if trades30 == 0
        else "low"
        if trades30 <= 2
        else "medium"
        if trades30 <= 9
        else "high",
        # assets and flows
        "total_assets": total,
        "cash": snapshot.cash if snapshot else None,
        "avg_assets_20d": avg20,
        "avg_assets_month": avg_month,
        "net_inflow_total": state.net_inflow_total,
        "net_inflow_30d": net30,
        "net_inflow_90d": sum((d.inflow - d.outflow for d in w90), Decimal(0)),
        "largest_outflow_90d": max((d.largest_outflow for d in w90), default=Decimal(0)),
        "custody_transfer_out_90d": "custody_transfer_out" in reasons,
        # performance
        "unrealised_pnl": snapshot.market_value - snapshot.cost if snapshot else None,
        "unrealised_pnl_ratio": round(
            float((snapshot.market_value - snapshot.cost) / snapshot.cost), 4
        )
        if snapshot and snapshot.cost > 0
        else None,
        "drawdown_90d": round(float((peak90 - total) / peak90), 4)
        if peak90 and total is not None and peak90 > 0
        else None,
        "realised_pnl_total": state.realised_pnl_total,
        "realised_pnl_90d": sum((d.realised_pnl for d in w90), Decimal(0)),
        "winning_sells": state.winning_sells,
        "losing_sells": state.losing_sells,
        "past_record": _past_record(state, rules),
        # holdings shape
        "holdings_count": snapshot.holdings if snapshot else None,
        "largest_position_share": snapshot.largest_share if snapshot else None,
        "herfindahl_index": snapshot.herfindahl if snapshot else None,
        "instrument_mix": dict(sorted(snapshot.mix.items())) if snapshot else {},
        # preferences
        "preferred_instrument": next(iter(_top(state.trades_by_instrument)), None),
        "content_interests": _top(state.content_by_topic, 3),
        "responsive_channels": _top(state.replies_by_channel, 3),
        "products_bought": state.products_bought,
        "product_amount_total": state.product_amount_total,
        "products_redeemed": state.products_redeemed,
        "product_amount_redeemed": state.product_amount_redeemed,
        "product_net_amount": state.product_amount_total - state.product_amount_redeemed,
        # engagement and conversion path
        "wechat_followed_at": state.wechat_followed_at,
        "app_registered_at": state.app_registered_at,
        "referrals": state.referrals,
        # consent, per channel and purpose
        "consents": {k: v.value for k, v in sorted(state.consents.items())},
        # derived
        "churn_risk": bool(reasons),
        "churn_reasons": reasons,
        "value_tier": "institutional"
        if account.get("client_kind") == "institution"
        else _value_tier(state.days, today, rules),
    }
    portrait["lifecycle_stage"] = _stage(state, portrait, now, rules)
    return portrait


def _stage(state: ClientState, p: dict[str, Any], now: datetime, rules: PortraitRules) -> str:
    """closed, dormant, sleeping, active, valid, funded, opened, or prospect (not yet a client)."""
    if state.closed_at is not None and state.closed_at <= now:
        return "closed"
    if state.account is None:
        return "prospect"
    opened = p["opened_on"]
    opened_at = datetime.combine(opened, time(0), SHANGHAI) if opened else None
    snapshot = state.latest_snapshot
    if (
        _older_than(state.last_trade_at, now, 365 * rules.dormant_years)
        and (opened_at is None or _older_than(opened_at, now, 365 * rules.dormant_years))
        and snapshot is not None
        and snapshot.holdings == 0
        and snapshot.cash <= rules.dormant_cash
    ):
        return "dormant"
    last_activity = max((t for t in (state.last_trade_at, state.last_login_at) if t), default=None)
    if _older_than(last_activity, now, rules.sleeping_days) and (
        opened_at is None or _older_than(opened_at, now, rules.sleeping_days)
    ):
        return "sleeping"
    if not _older_than(state.last_trade_at, now, rules.active_days):
        return "active"
    if p["total_assets"] is not None and p["total_assets"] >= rules.valid_assets:
        return "valid"
    if state.first_funded_at is not None:
        return "funded"
    return "opened"


def review_at(state: ClientState, now: datetime, rules: PortraitRules) -> datetime | None:
    """The next instant at which time alone may change the portrait (None: never)."""
    today = local_day(now)
    candidates = []
    if state.days and max(state.days) >= (today - timedelta(days=rules.history_days)).isoformat():
        candidates.append(_midnight(today + timedelta(days=1)))  # day windows slide
    last_activity = max((t for t in (state.last_trade_at, state.last_login_at) if t), default=None)
    for base, days in (
        (state.last_trade_at, rules.active_days),
        (last_activity, rules.sleeping_days),
        (state.last_trade_at, 365 * rules.dormant_years),
        (state.last_custody_out_at, 90),
    ):
        if base is not None:
            candidates.append(base + timedelta(days=days))
    opened_on = state.account.value.get("opened_on") if state.account else None
    if opened_on:
        opened = _midnight(date.fromisoformat(opened_on))
        candidates += [
            opened + timedelta(days=rules.sleeping_days),
            opened + timedelta(days=365 * rules.dormant_years),
        ]
        candidates.append(_midnight(date(today.year + 1, 1, 1)))  # age bands move on 1 January
    start = (
        local_day(state.first_trade_at)
        if state.first_trade_at
        else date.fromisoformat(opened_on)
        if opened_on
        else None
    )
    if start is not None:  # years_in_market moves in steps of 0.1 year
        tenths = round((today - start).days / 365.25, 1)
        candidates.append(_midnight(start + timedelta(days=math.ceil((tenths + 0.05) * 365.25))))
    if state.risk and state.risk.value.get("expires_on"):
        candidates.append(
            _midnight(date.fromisoformat(state.risk.value["expires_on"]) + timedelta(days=1))
        )
    future = [c for c in candidates if c > now]
    return min(future) if future else None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), SHANGHAI)
