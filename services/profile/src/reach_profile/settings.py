"""The profile service's settings, including the portrait's definitions (DOMAIN.md defaults)."""

from decimal import Decimal

from pydantic import Field
from reach_runtime.settings import ServiceSettings

from reach_profile.domain.rules import PortraitRules


class ProfileSettings(ServiceSettings):
    service_name: str = "profile"
    http_port: int = 8101
    review_interval_s: float = Field(
        default=30.0, ge=0.05, le=3600, description="how often time-moved portraits are re-derived"
    )
    portrait_valid_assets: Decimal = Field(default=Decimal(10_000), ge=0)
    portrait_active_days: int = Field(default=30, ge=1, le=3650)
    portrait_sleeping_days: int = Field(default=90, ge=1, le=3650)
    portrait_dormant_years: int = Field(default=3, ge=1, le=30)
    portrait_tier_hold_days: int = Field(default=90, ge=0, le=3650)
    portrait_churn_outflow_share: float = Field(default=0.5, gt=0, le=1)

    def portrait_rules(self) -> PortraitRules:
        return PortraitRules(
            valid_assets=self.portrait_valid_assets,
            active_days=self.portrait_active_days,
            sleeping_days=self.portrait_sleeping_days,
            dormant_years=self.portrait_dormant_years,
            tier_hold_days=self.portrait_tier_hold_days,
            churn_outflow_share=self.portrait_churn_outflow_share,
            history_days=max(
                130, self.portrait_tier_hold_days + 40, self.portrait_sleeping_days + 10
            ),
        )
