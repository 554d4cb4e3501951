"""Request and response bodies of the segment API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

from reach_segmenter.domain.rules import Rule
from reach_segmenter.domain.segment import check_bounds

BoundedRule = Annotated[
    Rule,
    AfterValidator(check_bounds),
    Field(
        description="all / any / not over conditions {field, op, value} and {segment: name}; "
        "see docs/segment-rules.md",
        examples=[{"all": [{"field": "last_trade_at", "op": "within", "value": "1d"}]}],
    ),
]


NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL


class SegmentIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    description: str = Field(default="", max_length=2000, pattern=NO_NUL)
    rule: BoundedRule


class SegmentEdit(BaseModel):
    description: str | None = Field(default=None, max_length=2000, pattern=NO_NUL)
    rule: BoundedRule


class RuleIn(BaseModel):
    rule: BoundedRule


class BackfillOut(BaseModel):
    id: str
    reason: str = Field(description="create, edit or archive")
    segment_version: int
    status: str = Field(description="running, done, or superseded by a newer job")
    total: int = Field(description="portraits to evaluate")
    done: int
    percent: float
    eta_s: float | None = Field(description="estimated seconds left; null until a page is done")
    elapsed_s: float
    entered: int
    exited: int
    started_at: datetime
    finished_at: datetime | None


class SegmentOut(BaseModel):
    id: str
    name: str
    description: str
    rule: dict[str, Any]
    version: int
    time_relative: bool
    created_at: datetime
    updated_at: datetime | None
    archived_at: datetime | None
    archived_by: str | None = None
    member_count: int
    backfill: BackfillOut | None = Field(description="the latest back-fill job of this segment")
    backfill_url: str


class VersionOut(BaseModel):
    version: int
    description: str
    rule: dict[str, Any]
    created_at: datetime
    created_by: str = Field(description="who saved this version (the token's subject)")


class PreviewOut(BaseModel):
    matching: int = Field(description="stored portraits the rule selects now")
    total: int = Field(description="stored portraits")


class MemberOut(BaseModel):
    client_id: str
    entered_at: datetime


class DayCount(BaseModel):
    day: str = Field(description="UTC date, YYYY-MM-DD")
    entered: int
    exited: int
    members: int = Field(description="members at the end of the day")


class MembershipChangeOut(BaseModel):
    segment_id: str
    segment_name: str
    change: str = Field(description="entered or exited")
    at: datetime
    cause: str = Field(
        description="portrait event id, backfill:<job id>, or sweep:<instant> that moved the client"
    )
    segment_version: int


class ClientMembershipsOut(BaseModel):
    client_id: str
    current: list[str] = Field(description="names of the segments the client is in now")
    history: list[MembershipChangeOut] = Field(description="newest first")
