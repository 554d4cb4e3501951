"""The audit log: every change, written in the transaction that makes it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from reach_runtime.uow import UnitOfWork
from sqlalchemy import inspect

from reach_campaign.db.tables import AuditRow


def snapshot(row: object | None) -> dict[str, Any] | None:
    """A row's columns as JSON-ready values (the audit's before and after)."""
    if row is None:
        return None
    return {c.key: _json(getattr(row, c.key)) for c in inspect(row).mapper.column_attrs}


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def record(
    uow: UnitOfWork,
    *,
    actor: str,
    entity_type: str,
    entity_id: str,
    action: str,
    before: dict[str, Any] | None,
    after: object | None,
) -> None:
    """Append one entry; `after` is the changed row (or None when nothing remains)."""
    uow.session.add(
        AuditRow(
            at=uow.clock.now(),
            actor=actor,
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            before=before,
            after=snapshot(after),
        )
    )


def record_created(
    uow: UnitOfWork, row: object, *, actor: str, entity_type: str, entity_id: str
) -> None:
    """Append the entry for a row that did not exist before."""
    record(
        uow,
        actor=actor,
        entity_type=entity_type,
        entity_id=entity_id,
        action="create",
        before=None,
        after=row,
    )


@contextmanager
def audited(
    uow: UnitOfWork, row: object, *, actor: str, entity_type: str, entity_id: str, action: str
) -> Iterator[None]:
    """Snapshot `row`, let the caller change it, then append the entry (none if it raises)."""
    before = snapshot(row)
    yield
    record(
        uow,
        actor=actor,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        before=before,
        after=row,
    )
