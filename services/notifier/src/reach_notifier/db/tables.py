"""The notifier's tables: where to reach each client, what they agreed to, and every send."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reach_runtime.db import UTCDateTime, new_metadata
from sqlalchemy import JSON, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


class ContactRow(Base):
    __tablename__ = "contacts"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    wechat_openid: Mapped[str | None] = mapped_column(String(128), nullable=True)
    advisor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class ConsentRow(Base):
    """The latest grant or withdrawal per client, channel and purpose, with its source."""

    __tablename__ = "consents"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)
    granted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    source: Mapped[str] = mapped_column(String(64), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class SendRow(Base):
    """One outreach, once: pending → sending → sent | failed | suppressed, or `unknown` when a
    crash interrupted a send to a provider that cannot de-duplicate (a human decides)."""

    __tablename__ = "sends"
    __table_args__ = (Index("ix_sends_due", "status", "next_attempt_at"),)  # the dispatcher's scan

    idempotency_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    campaign_id: Mapped[str] = mapped_column(String(36), nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    subject: Mapped[str | None] = mapped_column(String(200), nullable=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    provider_message_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    trace: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    script_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    parts: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # the campaign's next channels and the client's variables, for a fallback at send time
    fallbacks: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    # while 'sending': the dispatcher that claimed it owns it until then
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    receipt: Mapped[str | None] = mapped_column(String(16), nullable=True)
    skipped_channels: Mapped[str | None] = mapped_column(Text, nullable=True)  # and why


class InboxMessageRow(Base):
    """A message in a client's in-app inbox."""

    __tablename__ = "inbox_messages"

    idempotency_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    subject: Mapped[str | None] = mapped_column(String(200), nullable=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CallTaskRow(Base):
    """An advisor's call: open → claimed → done with an outcome."""

    __tablename__ = "call_tasks"

    idempotency_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False)
    advisor_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    campaign_id: Mapped[str] = mapped_column(String(36), nullable=False)
    subject: Mapped[str | None] = mapped_column(String(200), nullable=True)
    script: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ReceiptRow(Base):
    """A verified provider receipt, once per message and status."""

    __tablename__ = "receipts"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    provider_message_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), nullable=False)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


metadata = Base.metadata
