"""Parameters shared by the routes: path numbers bounded so no request reaches the database out
of range, and the body of an approval or rejection."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, Field

from reach_campaign.domain.model import NO_NUL

MAX_VERSION = 1_000_000
VersionNumber = Annotated[int, Path(ge=1, le=MAX_VERSION)]


class Review(BaseModel):
    note: str | None = Field(default=None, max_length=2000, pattern=NO_NUL)
