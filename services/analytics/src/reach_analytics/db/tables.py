"""Analytics' tables: outreach decisions, delivery outcomes, receipts, upstream facts, and one
touch per campaign and client with its conversion, kept current as facts arrive in any order."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from reach_runtime.db import UTCDateTime, new_metadata
from sqlalchemy import Boolean, Date, Float, Index, Integer, Numeric, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


class OutreachRow(Base):
    """One campaign decision (requested, held_out or suppressed) with what it is measured by."""

    __tablename__ = "outreach"
    __table_args__ = (
        Index("ix_outreach_campaign_decision", "campaign_id", "decision", "gate"),
        Index("ix_outreach_campaign_decided_at", "campaign_id", "decided_at"),
    )

    idempotency_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    campaign_name: Mapped[str] = mapped_column(String(200), nullable=False)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    held_out: Mapped[bool] = mapped_column(Boolean, nullable=False)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    decision: Mapped[str] = mapped_column(String(16), nullable=False, server_default="requested")
    gate: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    variant: Mapped[str | None] = mapped_column(String(32), nullable=True)
    channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    script_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    segment_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    goal_event: Mapped[str | None] = mapped_column(String(64), nullable=True)
    window_days: Mapped[int | None] = mapped_column(Integer, nullable=True)


class DeliveryRow(Base):
    """What the notifier did with one outreach: the last outcome, and when it was first sent."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_campaign_status", "campaign_id", "status"),)

    idempotency_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # sent, failed, suppressed
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    campaign_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    client_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(300), nullable=True)


class ReceiptRow(Base):
    """What happened after a send, once per status: a provider's receipt or a call's outcome."""

    __tablename__ = "receipts"

    idempotency_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)  # delivered, reached, …
    campaign_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class ConversionEventRow(Base):
    """Upstream facts a goal or a path can name (trades, deposits, purchases, logins, account and
    engagement events), for any client: type, time and amount only, never a contact detail."""

    __tablename__ = "conversion_events"
    __table_args__ = (
        Index("ix_conversion_events_client_type_at", "client_id", "event_type", "occurred_at"),
    )

    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    event_type: Mapped[str] = mapped_column(String(64), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(20, 4), nullable=True)


class AssetSnapshotRow(Base):
    """An account's end-of-day total assets, for the assets-growth and valid-account goals."""

    __tablename__ = "asset_snapshots"
    __table_args__ = (Index("ix_asset_snapshots_client_day", "client_id", "trading_day"),)

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    trading_day: Mapped[date] = mapped_column(Date, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    total_assets: Mapped[Decimal] = mapped_column(Numeric(20, 4), nullable=False)


class TouchRow(Base):
    """A campaign's first touch of a client (treated: first sent; holdout: first held-out
    decision) and whether the campaign's goal followed within its window. Derived: rebuilt from
    the rows above whenever one of its inputs arrives, so arrival order does not matter."""

    __tablename__ = "touches"
    __table_args__ = (
        Index("ix_touches_campaign_arm", "campaign_id", "arm", "converted_at"),
        Index("ix_touches_client_goal", "client_id", "goal_event"),
    )

    campaign_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    arm: Mapped[str] = mapped_column(String(8), nullable=False)  # treated, holdout
    idempotency_key: Mapped[str] = mapped_column(String(128), nullable=False)
    touched_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    goal_event: Mapped[str] = mapped_column(String(64), nullable=False)
    window_days: Mapped[float] = mapped_column(Float, nullable=False)
    variant: Mapped[str | None] = mapped_column(String(32), nullable=True)
    channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    script_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    segment_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    converted_amount: Mapped[Decimal | None] = mapped_column(Numeric(20, 4), nullable=True)


class CountRow(Base):
    """Pre-aggregated results per campaign, kept by the handlers in the same transaction as the
    rows they count (adapters/counts.py): what the result endpoints read, so that a campaign of
    a million clients answers in milliseconds. `recount` rebuilds them from the rows."""

    __tablename__ = "campaign_counts"

    campaign_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, nullable=False)
    converted: Mapped[int] = mapped_column(Integer, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 4), nullable=False)


def aware(at: datetime | str) -> datetime:
    """A UTC time from an aggregate (min, max) over a UTCDateTime column, which bypasses the
    column type: SQLite returns a naive string."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


metadata = Base.metadata
