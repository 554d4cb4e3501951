"""Client portraits emitted by the profile service (topic reach.portraits.v1, compacted)."""

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, ConfigDict, Field

from reach_contracts.enums import RiskLevel
from reach_contracts.envelope import Event, Payload
from reach_contracts.values import Money, SignedMoney


class Portrait(Payload):
    """A client's portrait at one version; fields are added here additively over time."""

    version: int = Field(ge=1, description="Grows with each material change; keep the highest")
    as_of: AwareDatetime = Field(description="The latest occurred_at folded into this portrait")
    trade_count: int = Field(default=0, ge=0)
    trade_amount_total: Money = Decimal(0)
    last_trade_at: AwareDatetime | None = None
    login_count: int = Field(default=0, ge=0)
    last_login_at: AwareDatetime | None = None
    total_assets: Money | None = None
    cash: Money | None = None
    net_inflow_total: SignedMoney = Field(default=Decimal(0), description="Inflows minus outflows")
    risk_level: RiskLevel | None = None
    advisor_id: str | None = None
    opened_on: date | None = None
    # Free text, not an enum: profile owns the stage names and may refine them within v1.
    lifecycle_stage: str | None = Field(
        default=None, description="e.g. opened, funded, valid, active, sleeping, dormant, closed"
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
