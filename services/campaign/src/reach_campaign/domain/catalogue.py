"""The service catalogue (服务): products and content, with risk level, purpose and eligibility."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator
from reach_contracts import ProductRiskLevel, RiskLevel

from reach_campaign.domain.model import NO_NUL, Identifier, Purpose, Strict


class Kind(StrEnum):
    PRODUCT = "product"
    RESEARCH = "research"
    REMINDER = "reminder"
    CARE = "care"
    EVENT_INVITATION = "event_invitation"
    QUALIFICATION = "qualification"  # margin, STAR board, options opening


class Eligibility(Strict):
    """Who may be offered the item, beyond suitability (which its risk level decides)."""

    min_client_risk_level: RiskLevel | None = None
    qualifications: list[Literal["margin", "star_market", "options"]] = Field(
        default_factory=list, max_length=3
    )
    min_total_assets: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    professional_only: bool = False


class CatalogueItem(Strict):
    """One item; products must carry their risk level R1–R5."""

    name: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    kind: Kind
    purpose: Purpose
    risk_level: ProductRiskLevel | None = Field(default=None, validate_default=True)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    description: str = Field(default="", max_length=2000, pattern=NO_NUL)
    active: bool = True

    @field_validator("risk_level")
    @classmethod
    def _products_are_rated(
        cls, level: ProductRiskLevel | None, info: ValidationInfo
    ) -> ProductRiskLevel | None:
        if level is None and info.data.get("kind") is Kind.PRODUCT:
            raise ValueError("a product needs its risk level (R1-R5)")
        return level


class NewCatalogueItem(CatalogueItem):
    id: Identifier = Field(description="e.g. the product code, F006011")
