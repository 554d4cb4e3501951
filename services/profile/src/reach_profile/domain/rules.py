"""The definitions the portrait uses (DOMAIN.md's defaults); operators may change any of them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class PortraitRules:
    valid_assets: Decimal = Decimal(10_000)  # a valid account holds at least this
    active_days: int = 30  # active: traded within
    sleeping_days: int = 90  # sleeping: no trade and no login within
    dormant_years: int = 3  # dormant (regulatory): no trade within, no securities, little cash
    dormant_cash: Decimal = Decimal(100)
    churn_outflow_share: float = 0.5  # net outflow over 30 days above this share of assets
    churn_activity_drop: float = 0.3  # logins+trades in 30 days below this share of the 60 before
    tier_lines: tuple[tuple[Decimal, str], ...] = (
        (Decimal(5_000_000), "private"),
        (Decimal(1_000_000), "high_net_worth"),
        (Decimal(300_000), "vip"),
    )
    tier_hold_days: int = 90  # downgrade only after this long below the line
    qualification_assets: Decimal = Decimal(500_000)  # margin, STAR board, options (20-day average)
    qualification_near: Decimal = Decimal(400_000)  # "nearing the bar"
    past_record_min_sells: int = 3  # sells with a known P&L before past_record says anything
    history_days: int = 130  # daily buckets kept (covers 90-day windows and the tier hold)


DEFAULT_RULES = PortraitRules()
