"""Scripts (话术): versioned words per channel, linted, approved by a second person, previewed."""

from __future__ import annotations

import uuid

from reach_contracts import Channel
from reach_runtime.errors import Conflict, Invalid, NotFound
from reach_runtime.uow import UnitOfWork
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reach_campaign.adapters.audit import audited, record_created
from reach_campaign.adapters.rows import get_or_not_found
from reach_campaign.db.tables import ClientPortraitRow, ScriptRow, ScriptVersionRow
from reach_campaign.domain.linter import Finding, lint
from reach_campaign.domain.model import Purpose
from reach_campaign.domain.templates import TemplateError, portrait_variables, render
from reach_campaign.handlers import versioning


def findings(script: ScriptRow, version: ScriptVersionRow) -> list[Finding]:
    """What the linter says about one version of a script."""
    return lint(
        channel=Channel(script.channel),
        purpose=Purpose(script.purpose),
        subject=version.subject,
        body=version.body,
    )


async def get_script(session: AsyncSession, script_id: str) -> ScriptRow:
    return await get_or_not_found(
        session, ScriptRow, script_id, missing=f"no script {script_id!r}", field="script_id"
    )


async def get_version(session: AsyncSession, script_id: str, version: int) -> ScriptVersionRow:
    return await versioning.get_version(
        session, ScriptVersionRow, script_id, version, what="script"
    )


async def versions(session: AsyncSession, script_id: str) -> list[ScriptVersionRow]:
    return await versioning.all_versions(session, ScriptVersionRow.script_id, script_id)


async def create_script(
    *,
    uow: UnitOfWork,
    actor: str,
    name: str,
    channel: Channel,
    purpose: Purpose,
    subject: str | None,
    body: str,
) -> ScriptRow:
    """A new script with its first version, a draft."""
    script = await new_script(
        uow=uow,
        actor=actor,
        name=name,
        channel=channel,
        purpose=purpose,
        subject=subject,
        body=body,
    )
    await uow.commit()
    return script


async def new_script(
    *,
    uow: UnitOfWork,
    actor: str,
    name: str,
    channel: Channel,
    purpose: Purpose,
    subject: str | None,
    body: str,
) -> ScriptRow:
    """A new script and its first version in this transaction (not committed)."""
    if await uow.session.scalar(select(ScriptRow).where(ScriptRow.name == name)) is not None:
        raise Conflict(f"a script named {name!r} exists", field="name")
    now = uow.clock.now()
    script = ScriptRow(
        id=str(uuid.uuid4()),
        name=name,
        channel=channel.value,
        purpose=purpose.value,
        latest_version=1,
        created_by=actor,
        created_at=now,
    )
    uow.session.add(script)
    await uow.session.flush()
    record_created(uow, script, actor=actor, entity_type="script", entity_id=script.id)
    _add_version(uow, actor, script, 1, subject, body)
    return script


async def add_version(
    *, uow: UnitOfWork, actor: str, script_id: str, subject: str | None, body: str
) -> ScriptVersionRow:
    """An edit: always a new draft version; no version's words ever change."""
    script = await get_script(uow.session, script_id)
    with audited(
        uow, script, actor=actor, entity_type="script", entity_id=script.id, action="new_version"
    ):
        script.latest_version += 1
    version = _add_version(uow, actor, script, script.latest_version, subject, body)
    await uow.commit()
    return version


def _add_version(
    uow: UnitOfWork, actor: str, script: ScriptRow, number: int, subject: str | None, body: str
) -> ScriptVersionRow:
    if script.channel == Channel.EMAIL and not subject:
        raise Invalid("an e-mail script needs a subject", field="subject")
    version = ScriptVersionRow(script_id=script.id, version=number, subject=subject, body=body)
    return versioning.add_draft(
        uow, version, actor=actor, entity_type="script_version", parent_id=script.id
    )


async def submit_version(
    *, uow: UnitOfWork, actor: str, script_id: str, version: int
) -> ScriptVersionRow:
    """Ask for approval; a version the linter rejects cannot be submitted."""
    script = await get_script(uow.session, script_id)
    row = await get_version(uow.session, script_id, version)
    versioning.check_can_submit(row)
    _refuse_findings(findings(script, row))
    versioning.mark_submitted(
        uow,
        row,
        actor=actor,
        at=uow.clock.now(),
        entity_type="script_version",
        parent_id=script_id,
    )
    await uow.commit()
    return row


async def review_version(
    *, uow: UnitOfWork, actor: str, script_id: str, version: int, approve: bool, note: str | None
) -> ScriptVersionRow:
    """Approve or reject a pending version; the reviewer is never its author or submitter."""
    script = await get_script(uow.session, script_id)
    row = await get_version(uow.session, script_id, version)
    versioning.check_can_review(row, reviewer=actor)
    if approve:
        _refuse_findings(findings(script, row))
    versioning.mark_reviewed(
        uow,
        row,
        actor=actor,
        at=uow.clock.now(),
        status="approved" if approve else "rejected",
        action="approve" if approve else "reject",
        note=note,
        entity_type="script_version",
        parent_id=script_id,
    )
    await uow.commit()
    return row


def _refuse_findings(found: list[Finding]) -> None:
    if found:
        raise Invalid(
            "the linter rejects this script: " + "; ".join(str(f) for f in found),
            field=found[0].field,
        )


async def preview(
    *,
    session: AsyncSession,
    script_id: str,
    version: int,
    client_id: str,
    variables: dict[str, str],
) -> tuple[str | None, str]:
    """The subject and body this client would receive, from their stored portrait."""
    await get_script(session, script_id)
    row = await get_version(session, script_id, version)
    portrait = await session.get(ClientPortraitRow, client_id)
    if portrait is None:
        raise NotFound(f"no portrait of client {client_id!r} has been seen", field="client_id")
    values = portrait_variables(client_id, portrait.fields) | variables
    try:
        subject = render(row.subject, values) if row.subject else None
        return subject, render(row.body, values)
    except TemplateError as error:
        field = f"variables.{error.placeholder}" if error.placeholder else "body"
        raise Invalid(f"{error} for client {client_id!r}", field=field) from None
