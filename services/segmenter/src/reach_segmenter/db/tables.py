"""The segmenter's tables: definitions and their versions, the portraits it evaluates,
memberships and their history, back-fill jobs, and the catalog version that tells every
process when its cached field index is stale."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reach_runtime.db import UTCDateTime, new_metadata
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# JSONB on PostgreSQL: fields are read by key in back-fills over every portrait.
Document = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = new_metadata()


class SegmentRow(Base):
    """A segment at its current version; `archived_at` set means it is no longer evaluated."""

    __tablename__ = "segments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    rule: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    time_relative: Mapped[bool] = mapped_column(Boolean, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    archived_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # The clock's now at the last completed sweep (or the last create / edit): the next sweep
    # looks only at clients whose timestamps crossed a window edge since then.
    swept_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SegmentVersionRow(Base):
    """Every version a segment's rule has had; the newest equals the segment row."""

    __tablename__ = "segment_versions"

    segment_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    rule: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    created_by: Mapped[str] = mapped_column(String(128), nullable=False, server_default="system")


class CatalogRow(Base):
    """One row: a counter raised by every change to any segment."""

    __tablename__ = "segment_catalog"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)


class PortraitRow(Base):
    """The latest portrait seen for each client, as `rule_sql.portrait_json` stores it."""

    __tablename__ = "portraits"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    fields: Mapped[dict[str, Any]] = mapped_column(Document, nullable=False)


# Memberships and their history name their segment without a foreign key. Segments are never
# deleted (archiving keeps the row), and these are the tables a back-fill writes a row to per
# member: the key's check, a trigger per row, was a fifth of a back-fill's database time.


class MembershipRow(Base):
    __tablename__ = "memberships"

    segment_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class MembershipChangeRow(Base):
    """Every entry and exit: when, why (`cause`), under which version of the segment."""

    __tablename__ = "membership_history"
    __table_args__ = (
        Index("ix_membership_history_client_at", "client_id", "at"),
        Index("ix_membership_history_segment_at", "segment_id", "at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    segment_id: Mapped[str] = mapped_column(String(36), nullable=False)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False)
    change: Mapped[str] = mapped_column(String(8), nullable=False)  # entered | exited
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    cause: Mapped[str] = mapped_column(String(200), nullable=False)
    segment_version: Mapped[int] = mapped_column(Integer, nullable=False)


class BackfillRow(Base):
    """A pass over every portrait for one segment version (or its archive), page by page."""

    __tablename__ = "backfills"
    __table_args__ = (
        Index("ix_backfills_status", "status"),
        UniqueConstraint("segment_id", "number", name="uq_backfills_segment_id_number"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    segment_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("segments.id", ondelete="CASCADE"), nullable=False
    )
    number: Mapped[int] = mapped_column(Integer, nullable=False)  # 1, 2, … per segment
    segment_version: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(String(16), nullable=False)  # create | edit | archive
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # running | done | superseded
    total: Mapped[int] = mapped_column(Integer, nullable=False)
    done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    entered: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    exited: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class BackfillLaneRow(Base):
    """One client-id range of a back-fill, (`after_client_id`, `upper_client_id`], worked a
    page at a time from its low end; a job's lanes are worked side by side."""

    __tablename__ = "backfill_lanes"

    backfill_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("backfills.id", ondelete="CASCADE"), primary_key=True
    )
    lane: Mapped[int] = mapped_column(Integer, primary_key=True)
    after_client_id: Mapped[str] = mapped_column(String(64), nullable=False)  # the last one done
    upper_client_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None: open
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # running | done


metadata = Base.metadata
