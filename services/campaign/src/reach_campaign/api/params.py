"""Path parameters shared by the routes, bounded so no request reaches the database out of range."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_VERSION = 1_000_000
VersionNumber = Annotated[int, Path(ge=1, le=MAX_VERSION)]
