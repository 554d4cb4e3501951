"""Looking rows up by primary key."""

from __future__ import annotations

from typing import Any, TypeVar

from reach_runtime.errors import NotFound
from sqlalchemy.ext.asyncio import AsyncSession

Row = TypeVar("Row")


async def get_or_not_found(
    session: AsyncSession, row_type: type[Row], key: Any, *, missing: str, field: str
) -> Row:
    """The row with this primary key, or NotFound saying `missing` and naming `field`."""
    row = await session.get(row_type, key)
    if row is None:
        raise NotFound(missing, field=field)
    return row
