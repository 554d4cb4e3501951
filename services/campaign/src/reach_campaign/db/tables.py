"""The campaign service's tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reach_runtime.db import UTCDateTime, new_metadata
from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


class CampaignRow(Base):
    """A campaign: its state, the version that fires (live) and the newest version (latest)."""

    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    # draft, pending_approval, active, paused, ended
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    live_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latest_version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_by: Mapped[str] = mapped_column(String(128), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Reviewed:
    """Who wrote a version, who submitted it, and who approved or rejected it (maker-checker)."""

    # draft, pending_approval, approved, rejected
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    author: Mapped[str] = mapped_column(String(128), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    submitted_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    review_note: Mapped[str | None] = mapped_column(String(2000), nullable=True)


class CampaignVersionRow(Reviewed, Base):
    """One version of a campaign's eight elements; approved versions never change."""

    __tablename__ = "campaign_versions"

    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


class CampaignTriggerRow(Base):
    """What fires a live campaign, by kind and key (segment_entered + segment id), for look-up."""

    __tablename__ = "campaign_triggers"
    __table_args__ = (Index("ix_campaign_triggers_kind_key", "kind", "key"),)

    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)


class ScriptRow(Base):
    """A script (话术) for one channel and purpose; its words live in its versions."""

    __tablename__ = "scripts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    latest_version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_by: Mapped[str] = mapped_column(String(128), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class ScriptVersionRow(Reviewed, Base):
    """The words of one script version; never changed once written (an edit is a new version)."""

    __tablename__ = "script_versions"

    script_id: Mapped[str] = mapped_column(ForeignKey("scripts.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str | None] = mapped_column(String(200), nullable=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)


class CatalogueItemRow(Base):
    """A product or piece of content a campaign carries (服务), with its risk level and eligibility."""

    __tablename__ = "catalogue_items"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    risk_level: Mapped[str | None] = mapped_column(String(2), nullable=True)
    eligibility: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    description: Mapped[str] = mapped_column(String(2000), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class ClientPortraitRow(Base):
    """The latest portrait seen per client (for previews now, for the protection gate later)."""

    __tablename__ = "client_portraits"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class SegmentMembershipRow(Base):
    """Who is in which segment, from the segmenter's transitions (for audiences and exclusions)."""

    __tablename__ = "segment_memberships"

    segment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class AuditRow(Base):
    """Append-only: who changed what, when, and the entity before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    actor: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    entity_type: Mapped[str] = mapped_column(String(32), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(128), nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class DecisionRow(Base):
    """Every outreach decision, once per idempotency key, with its reason and its history: sent
    on, held out, stopped by a gate, skipped, or scheduled (a delayed or deferred send waiting
    for `due_at`; the release loop picks these up, so they survive restarts)."""

    __tablename__ = "outreach_decisions"
    __table_args__ = (
        Index("ix_outreach_decisions_due", "decision", "due_at"),
        Index("ix_outreach_decisions_client", "client_id", "released_at"),
        Index("ix_outreach_decisions_campaign_client", "campaign_id", "client_id"),
    )

    idempotency_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), nullable=False, index=True)
    campaign_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False)
    # requested, held_out, suppressed, skipped, scheduled
    decision: Mapped[str] = mapped_column(String(16), nullable=False)
    gate: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    variant: Mapped[str | None] = mapped_column(String(32), nullable=True)
    purpose: Mapped[str | None] = mapped_column(String(16), nullable=True)
    priority: Mapped[int | None] = mapped_column(Integer, nullable=True)
    trigger_event_id: Mapped[str] = mapped_column(String(128), nullable=False)
    trigger_kind: Mapped[str | None] = mapped_column(String(32), nullable=True)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    history: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)


class GateSwitchRow(Base):
    """A switch of the protection gate; `global_pause` on holds every outreach until it is off."""

    __tablename__ = "gate_switches"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    on: Mapped[bool] = mapped_column(Boolean, nullable=False)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    changed_by: Mapped[str] = mapped_column(String(128), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class ClientActivityRow(Base):
    """What each client did, per upstream event type: first and last time and how often (for
    "first ever", "days since the previous one", inactivity and "did A but not B")."""

    __tablename__ = "client_activity"
    __table_args__ = (Index("ix_client_activity_type_last", "event_type", "last_at"),)

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False)


class ScheduleSlotRow(Base):
    """A schedule slot of a campaign (a day, or a cron instant) and how far its firing got. A
    slot fires page by page through its audience, each page committed with its decisions, so a
    restart goes on after the last client fired; `finished_at` once every member had theirs."""

    __tablename__ = "schedule_slots"

    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    slot: Mapped[str] = mapped_column(String(64), primary_key=True)  # 2026-12-15, or the instant
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    after_client: Mapped[str | None] = mapped_column(String(64), nullable=True)
    clients: Mapped[int] = mapped_column(Integer, nullable=False)  # members fired so far
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


metadata = Base.metadata
