"""Maker-checker: a second person approves what the first one wrote."""

from __future__ import annotations

from reach_runtime.errors import Conflict, DomainError


class Forbidden(DomainError):
    """The actor may not do this (the body says why)."""

    status_code = 403


def check_submittable(status: str, what: str) -> None:
    if status != "draft":
        raise Conflict(f"{what} is {status}; only a draft can be submitted", field="status")


def check_reviewable(
    *, status: str, what: str, reviewer: str, author: str, submitter: str | None
) -> None:
    """Only a pending version is reviewed, and never by who wrote or submitted it."""
    if status != "pending_approval":
        raise Conflict(f"{what} is {status}, not pending approval", field="status")
    if reviewer in (author, submitter):
        raise Forbidden(
            f"{reviewer!r} wrote or submitted {what}: the approver must be someone else",
            field="actor",
        )
