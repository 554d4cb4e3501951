"""Analytics' tables: outreach decisions, delivery outcomes, receipts, conversion events."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from reach_runtime.db import UTCDateTime, new_metadata
from sqlalchemy import Boolean, Numeric, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


class OutreachRow(Base):
    __tablename__ = "outreach"

    idempotency_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    campaign_name: Mapped[str] = mapped_column(String(200), nullable=False)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    held_out: Mapped[bool] = mapped_column(Boolean, nullable=False)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class DeliveryRow(Base):
    __tablename__ = "deliveries"

    idempotency_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # sent, failed, suppressed
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class ReceiptRow(Base):
    """What happened after a send, once per status: a provider's receipt or a call's outcome."""

    __tablename__ = "receipts"

    idempotency_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)  # delivered, reached, …
    campaign_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class ConversionEventRow(Base):
    """Upstream events that count as conversions (a trade, for now), for any client."""

    __tablename__ = "conversion_events"

    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    event_type: Mapped[str] = mapped_column(String(64), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(20, 4), nullable=True)


metadata = Base.metadata
