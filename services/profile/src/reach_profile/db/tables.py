"""The profile service's tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reach_runtime.db import UTCDateTime, new_metadata
from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


class PortraitRow(Base):
    """The latest portrait of each client; `state` is the domain portrait as JSON."""

    __tablename__ = "portraits"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


metadata = Base.metadata
