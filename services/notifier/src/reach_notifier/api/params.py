"""Bounds on what callers may send: ids by pattern, no NUL or control characters in text."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query
from reach_runtime.auth import Allow, Principal, Role

NO_NUL = r"^[^\x00]*$"
KEY = r"^[^\x00-\x1f]{1,128}$"  # idempotency keys: anything printable, as campaigns make them
CLIENT = r"^[A-Za-z0-9_-]{1,64}$"

SendKey = Annotated[str, Path(pattern=KEY)]
ClientQuery = Annotated[str, Query(pattern=CLIENT)]


async def _advisor(
    principal: Annotated[Principal, Depends(Allow((Role.advisor, Role.ops_admin)))],
) -> str:
    return principal.advisor_id or principal.subject


Actor = Annotated[str, Depends(_advisor)]  # the advisor acting on their own call tasks
