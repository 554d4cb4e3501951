"""The versioned maker-checker lifecycle shared by campaigns and scripts: a draft version is
submitted, then approved or rejected by someone other than its author or submitter; an approved
version never changes. Every step is audited; the caller commits."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol, TypeVar

from reach_runtime.uow import UnitOfWork
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from reach_campaign.adapters.audit import audited, record_created
from reach_campaign.adapters.rows import get_or_not_found
from reach_campaign.domain.approval import check_reviewable, check_submittable


class Version(Protocol):
    """The columns every versioned row shares (CampaignVersionRow, ScriptVersionRow)."""

    version: int
    status: str
    author: str
    created_at: datetime
    submitted_by: str | None
    submitted_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None


V = TypeVar("V")
NewVersion = TypeVar("NewVersion", bound=Version)


async def get_version(
    session: AsyncSession, row_type: type[V], parent_id: str, number: int, *, what: str
) -> V:
    """Version `number` of the `what` (e.g. "campaign") `parent_id`, or NotFound naming it."""
    return await get_or_not_found(
        session,
        row_type,
        (parent_id, number),
        missing=f"{what} {parent_id!r} has no version {number}",
        field="version",
    )


async def all_versions(
    session: AsyncSession, parent: InstrumentedAttribute[str], parent_id: str
) -> list[Any]:
    """Every version whose `parent` column is `parent_id`, oldest first."""
    row_type = parent.class_
    return list(
        await session.scalars(
            select(row_type).where(parent == parent_id).order_by(row_type.version)
        )
    )


def add_draft(
    uow: UnitOfWork, version: NewVersion, *, actor: str, entity_type: str, parent_id: str
) -> NewVersion:
    """Add `version` as a draft written by `actor` now, and audit its creation."""
    version.status, version.author, version.created_at = "draft", actor, uow.clock.now()
    uow.session.add(version)
    record_created(
        uow,
        version,
        actor=actor,
        entity_type=entity_type,
        entity_id=f"{parent_id}/{version.version}",
    )
    return version


def check_can_submit(version: Version) -> None:
    """Only a draft is submitted."""
    check_submittable(version.status, f"version {version.version}")


def check_can_review(version: Version, *, reviewer: str) -> None:
    """Only a pending version is reviewed, and never by its author or submitter."""
    check_reviewable(
        status=version.status,
        what=f"version {version.version}",
        reviewer=reviewer,
        author=version.author,
        submitter=version.submitted_by,
    )


def _audited_version(
    uow: UnitOfWork, version: Version, *, actor: str, action: str, entity_type: str, parent_id: str
) -> AbstractContextManager[None]:
    return audited(
        uow,
        version,
        actor=actor,
        entity_type=entity_type,
        entity_id=f"{parent_id}/{version.version}",
        action=action,
    )


def mark_submitted(
    uow: UnitOfWork, version: Version, *, actor: str, at: datetime, entity_type: str, parent_id: str
) -> None:
    """The version awaits a second person's approval (the caller checked it was a draft)."""
    with _audited_version(
        uow, version, actor=actor, action="submit", entity_type=entity_type, parent_id=parent_id
    ):
        version.status, version.submitted_by, version.submitted_at = "pending_approval", actor, at


def mark_reviewed(
    uow: UnitOfWork,
    version: Version,
    *,
    actor: str,
    at: datetime,
    status: str,
    action: str,
    note: str | None,
    entity_type: str,
    parent_id: str,
) -> None:
    """The version is approved or rejected by `actor` (the caller checked who may)."""
    with _audited_version(
        uow, version, actor=actor, action=action, entity_type=entity_type, parent_id=parent_id
    ):
        version.status = status
        version.reviewed_by, version.reviewed_at, version.review_note = actor, at, note
