"""Scripts over HTTP: versions, the linter, maker-checker approval, previews for a real client."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, status
from pydantic import BaseModel, ConfigDict, Field
from reach_contracts import Channel
from reach_runtime.auth import STAFF, Role, allow
from reach_runtime.http import Session, Uow
from sqlalchemy import select

from reach_campaign.api.actor import Compliance, Editor
from reach_campaign.api.params import Review, VersionNumber
from reach_campaign.db.tables import ScriptRow, ScriptVersionRow
from reach_campaign.domain.linter import lint
from reach_campaign.domain.model import NO_NUL, Purpose
from reach_campaign.handlers import scripts as handle

router = APIRouter(
    prefix="/scripts", tags=["scripts"], dependencies=[allow(*STAFF, Role.bi_reader)]
)

Subject = Annotated[str | None, Field(default=None, max_length=200, pattern=NO_NUL)]
Words = Annotated[
    str, Field(min_length=1, max_length=4000, pattern=NO_NUL, description="{name} placeholders")
]


class WordsIn(BaseModel):
    subject: Subject = None
    body: Words


class ScriptIn(WordsIn):
    name: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    channel: Channel
    purpose: Purpose


class LintIn(WordsIn):
    channel: Channel
    purpose: Purpose


class FindingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    rule: str
    field: str
    start: int = Field(description="character offset of `text` in the field")
    text: str = Field(description="the offending text, quoted")
    message: str


class ScriptVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    script_id: str
    version: int
    subject: str | None
    body: str
    status: str = Field(description="draft, pending_approval, approved, rejected")
    author: str
    created_at: datetime
    submitted_by: str | None
    submitted_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None
    findings: list[FindingOut] = Field(description="what the linter says about this version")


class ScriptOut(BaseModel):
    id: str
    name: str
    channel: Channel
    purpose: Purpose
    latest_version: int
    created_by: str
    created_at: datetime
    versions: list[ScriptVersionOut]


class PreviewIn(BaseModel):
    client_id: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    variables: dict[str, Annotated[str, Field(max_length=500)]] = Field(
        default_factory=dict, max_length=50, description="values the portrait lacks (segment, …)"
    )


class PreviewOut(BaseModel):
    client_id: str
    subject: str | None
    body: str


def _version_out(script: ScriptRow, row: ScriptVersionRow) -> ScriptVersionOut:
    columns = {n: getattr(row, n) for n in ScriptVersionOut.model_fields if n != "findings"}
    return ScriptVersionOut.model_validate(
        columns | {"findings": handle.findings(script, row)}, from_attributes=True
    )


async def _out(session: Session, script: ScriptRow) -> ScriptOut:
    versions = await handle.versions(session, script.id)
    return ScriptOut(
        id=script.id,
        name=script.name,
        channel=Channel(script.channel),
        purpose=Purpose(script.purpose),
        latest_version=script.latest_version,
        created_by=script.created_by,
        created_at=script.created_at,
        versions=[_version_out(script, v) for v in versions],
    )


@router.post(
    "", response_model=ScriptOut, status_code=status.HTTP_201_CREATED, summary="A new script"
)
async def post_script(body: ScriptIn, uow: Uow, actor: Editor) -> ScriptOut:
    script = await handle.create_script(uow=uow, actor=actor, **body.model_dump())
    return await _out(uow.session, script)


@router.post("/lint", response_model=list[FindingOut], summary="Lint words without saving them")
async def lint_words(body: LintIn) -> list[FindingOut]:
    found = lint(channel=body.channel, purpose=body.purpose, subject=body.subject, body=body.body)
    return [FindingOut.model_validate(f) for f in found]


@router.get("", response_model=list[ScriptOut], summary="All scripts")
async def list_scripts(session: Session) -> list[ScriptOut]:
    scripts = await session.scalars(select(ScriptRow).order_by(ScriptRow.created_at))
    return [await _out(session, s) for s in scripts]


@router.get("/{script_id}", response_model=ScriptOut, summary="One script and its versions")
async def get_script(script_id: str, session: Session) -> ScriptOut:
    return await _out(session, await handle.get_script(session, script_id))


@router.post(
    "/{script_id}/versions",
    response_model=ScriptVersionOut,
    status_code=status.HTTP_201_CREATED,
    summary="Edit: always a new draft version",
)
async def post_version(script_id: str, body: WordsIn, uow: Uow, actor: Editor) -> ScriptVersionOut:
    row = await handle.add_version(
        uow=uow, actor=actor, script_id=script_id, subject=body.subject, body=body.body
    )
    return _version_out(await handle.get_script(uow.session, script_id), row)


@router.get(
    "/{script_id}/versions/{version}", response_model=ScriptVersionOut, summary="One version"
)
async def get_version(script_id: str, version: VersionNumber, session: Session) -> ScriptVersionOut:
    script = await handle.get_script(session, script_id)
    return _version_out(script, await handle.get_version(session, script_id, version))


@router.post(
    "/{script_id}/versions/{version}/submit",
    response_model=ScriptVersionOut,
    summary="Ask for approval (refused while the linter finds anything)",
)
async def submit(
    script_id: str, version: VersionNumber, uow: Uow, actor: Editor
) -> ScriptVersionOut:
    row = await handle.submit_version(uow=uow, actor=actor, script_id=script_id, version=version)
    return _version_out(await handle.get_script(uow.session, script_id), row)


@router.post(
    "/{script_id}/versions/{version}/approve",
    response_model=ScriptVersionOut,
    summary="Approve (not by its author or submitter); the version is then final",
)
async def approve(
    script_id: str,
    version: VersionNumber,
    uow: Uow,
    actor: Compliance,
    review: Review | None = None,
) -> ScriptVersionOut:
    return await _review(script_id, version, uow, actor, review, approve=True)


@router.post(
    "/{script_id}/versions/{version}/reject", response_model=ScriptVersionOut, summary="Reject"
)
async def reject(
    script_id: str,
    version: VersionNumber,
    uow: Uow,
    actor: Compliance,
    review: Review | None = None,
) -> ScriptVersionOut:
    return await _review(script_id, version, uow, actor, review, approve=False)


async def _review(
    script_id: str, version: int, uow: Uow, actor: str, review: Review | None, *, approve: bool
) -> ScriptVersionOut:
    note = review.note if review else None
    row = await handle.review_version(
        uow=uow, actor=actor, script_id=script_id, version=version, approve=approve, note=note
    )
    return _version_out(await handle.get_script(uow.session, script_id), row)


@router.post(
    "/{script_id}/versions/{version}/preview",
    response_model=PreviewOut,
    summary="The words as one client would get them, from their latest portrait",
)
async def preview(
    script_id: str, version: VersionNumber, body: Annotated[PreviewIn, Body()], session: Session
) -> PreviewOut:
    subject, text = await handle.preview(
        session=session,
        script_id=script_id,
        version=version,
        client_id=body.client_id,
        variables=body.variables,
    )
    return PreviewOut(client_id=body.client_id, subject=subject, body=text)
