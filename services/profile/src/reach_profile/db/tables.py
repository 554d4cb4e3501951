"""The profile service's tables."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from reach_runtime.db import UTCDateTime, new_metadata
from sqlalchemy import JSON, Boolean, Integer, Numeric, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


class PortraitRow(Base):
    """Each client's state (the fold of its events) and the portrait last emitted from it.

    A few portrait fields are copied into columns so clients can be searched and sorted.
    """

    __tablename__ = "portraits"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    portrait: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    review_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    advisor_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    lifecycle_stage: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    value_tier: Mapped[str | None] = mapped_column(String(16), nullable=True)
    churn_risk: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    total_assets: Mapped[Decimal | None] = mapped_column(Numeric(20, 2), nullable=True)
    drawdown_90d: Mapped[float | None] = mapped_column(nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_trade_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PortraitChangeRow(Base):
    """What changed in each version of a client's portrait."""

    __tablename__ = "portrait_changes"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    changes: Mapped[dict[str, Any]] = mapped_column(
        JSON, nullable=False
    )  # field -> [before, after]


metadata = Base.metadata
SEARCH_COLUMNS = (
    "advisor_id",
    "lifecycle_stage",
    "value_tier",
    "churn_risk",
    "total_assets",
    "drawdown_90d",
    "last_login_at",
    "last_trade_at",
)
