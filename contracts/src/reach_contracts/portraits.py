"""Client portraits emitted by the profile service (topic reach.portraits.v1, compacted)."""

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, ConfigDict, Field

from reach_contracts.enums import RiskLevel
from reach_contracts.envelope import Event, Payload
from reach_contracts.values import Money, SignedMoney


class ConsentState(Payload):
    """The latest grant or withdrawal for one channel and purpose."""

    granted: bool
    source: str
    at: AwareDatetime


class Portrait(Payload):
    """A client's portrait at one version; fields are added here additively over time.

    docs/portrait.md says what each field means and which events feed it.
    """

    version: int = Field(ge=1, description="Grows with each material change; keep the highest")
    as_of: AwareDatetime = Field(description="The instant the time-relative fields describe")
    # identity and tenure
    client_kind: str | None = Field(default=None, description="individual or institution")
    opened_on: date | None = None
    branch: str | None = None
    advisor_id: str | None = None
    region: str | None = None
    gender: str | None = None
    age_band: str | None = Field(default=None, description="under_30, 30_39, 40_49, 50_59, 60_plus")
    birthday: str | None = Field(
        default=None, pattern=r"^\d{2}-\d{2}$", description="MM-DD, when the birth date is known"
    )
    years_in_market: float | None = Field(
        default=None, description="Since the first trade, else opening"
    )
    # risk and eligibility
    risk_level: RiskLevel | None = None
    lowest_category: bool | None = None
    risk_expires_on: date | None = None
    risk_assessment_valid: bool = Field(default=False, description="Assessed and not expired")
    professional_investor: bool | None = None
    investment_horizon: str | None = None
    margin_eligible: bool = False
    star_market_eligible: bool = False
    options_eligible: bool = False
    near_qualification: bool = Field(
        default=False, description="20-day average assets near the bar"
    )
    # activity
    last_login_at: AwareDatetime | None = None
    last_trade_at: AwareDatetime | None = None
    first_trade_at: AwareDatetime | None = None
    login_count: int = Field(default=0, ge=0)
    trade_count: int = Field(default=0, ge=0)
    trade_amount_total: Money = Decimal(0)
    logins_7d: int = Field(default=0, ge=0)
    logins_30d: int = Field(default=0, ge=0)
    logins_90d: int = Field(default=0, ge=0)
    trades_7d: int = Field(default=0, ge=0)
    trades_30d: int = Field(default=0, ge=0)
    trades_90d: int = Field(default=0, ge=0)
    preferred_channel: str | None = None
    trading_frequency: str = Field(
        default="none", description="none, low (1-2), medium (3-9), high (10+) trades in 30 days"
    )
    # assets and flows
    total_assets: Money | None = None
    cash: Money | None = None
    avg_assets_20d: Money | None = Field(
        default=None, description="Mean of the last 20 daily snapshots"
    )
    avg_assets_month: Money | None = Field(
        default=None, description="Mean of the snapshots in 30 days"
    )
    net_inflow_total: SignedMoney = Field(default=Decimal(0), description="Inflows minus outflows")
    net_inflow_30d: SignedMoney = Decimal(0)
    net_inflow_90d: SignedMoney = Decimal(0)
    largest_outflow_90d: Money = Decimal(0)
    custody_transfer_out_90d: bool = False
    # performance
    unrealised_pnl: SignedMoney | None = None
    unrealised_pnl_ratio: float | None = None
    drawdown_90d: float | None = Field(
        default=None, description="Fall of total assets from its 90-day peak"
    )
    realised_pnl_total: SignedMoney = Field(
        default=Decimal(0), description="Sum of realised P&L over every sell seen"
    )
    realised_pnl_90d: SignedMoney = Decimal(0)
    winning_sells: int = Field(default=0, ge=0, description="Sells that realised a profit")
    losing_sells: int = Field(default=0, ge=0, description="Sells that realised a loss")
    past_record: str | None = Field(
        default=None,
        description="success, failure or mixed, from realised P&L and the share of winning sells",
    )
    # holdings shape
    holdings_count: int | None = None
    largest_position_share: float | None = None
    herfindahl_index: float | None = None
    instrument_mix: dict[str, float] = Field(default_factory=dict)
    # preferences
    preferred_instrument: str | None = None
    content_interests: list[str] = Field(default_factory=list)
    responsive_channels: list[str] = Field(default_factory=list)
    products_bought: int = Field(default=0, ge=0)
    product_amount_total: Money = Decimal(0)
    products_redeemed: int = Field(default=0, ge=0)
    product_amount_redeemed: Money = Decimal(0)
    product_net_amount: SignedMoney = Field(
        default=Decimal(0), description="Purchases minus redemptions seen by Reach"
    )
    # engagement and the conversion path
    wechat_followed_at: AwareDatetime | None = None
    app_registered_at: AwareDatetime | None = None
    referrals: int = Field(default=0, ge=0)
    # consent: "channel/purpose" -> the latest decision
    consents: dict[str, ConsentState] = Field(default_factory=dict)
    # derived
    churn_risk: bool = False
    churn_reasons: list[str] = Field(default_factory=list)
    value_tier: str = Field(
        default="general",
        description="general, vip, high_net_worth, private, institutional; downgrades held 90 days",
    )
    # Free text, not an enum: profile owns the stage names and may refine them within v1.
    lifecycle_stage: str | None = Field(
        default=None,
        description="prospect, opened, funded, valid, active, sleeping, dormant, closed",
    )


class PortraitUpdated(Event):
    """A client's portrait changed materially; the latest one per client_id is the truth."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "prt-C00012345-42",
                    "event_type": "portrait.updated",
                    "schema_version": 1,
                    "occurred_at": "2026-11-23T09:31:02.456+08:00",
                    "client_id": "C00012345",
                    "payload": {
                        "version": 42,
                        "as_of": "2026-11-23T09:31:02.123+08:00",
                        "trade_count": 17,
                        "trade_amount_total": "1283460.50",
                        "last_trade_at": "2026-11-23T09:31:02.123+08:00",
                        "login_count": 63,
                        "last_login_at": "2026-11-23T08:47:15.402+08:00",
                        "total_assets": "412760.35",
                        "cash": "48210.35",
                        "net_inflow_total": "-1100000.00",
                        "risk_level": "C4",
                        "advisor_id": "ADV0217",
                        "opened_on": "2026-11-02",
                        "lifecycle_stage": "active",
                    },
                }
            ]
        }
    )

    event_type: Literal["portrait.updated"] = "portrait.updated"
    payload: Portrait
