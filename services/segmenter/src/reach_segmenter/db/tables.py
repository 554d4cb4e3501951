"""The segmenter's tables: definitions, the portraits it evaluates, and memberships."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reach_runtime.db import UTCDateTime, new_metadata
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


class SegmentRow(Base):
    __tablename__ = "segments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    rule: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    time_relative: Mapped[bool] = mapped_column(Boolean, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class PortraitRow(Base):
    """The latest portrait seen for each client (the payload of portrait.updated)."""

    __tablename__ = "portraits"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


class MembershipRow(Base):
    __tablename__ = "memberships"

    segment_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


metadata = Base.metadata
