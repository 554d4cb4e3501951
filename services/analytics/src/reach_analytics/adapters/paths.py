"""Conversion paths (seed 003): the order in which clients first followed the WeChat account,
registered in the app and traded, with the median time between the steps."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reach_analytics.db.tables import ConversionEventRow, aware

STEPS = ("wechat.followed", "app.registered", "first_trade")
_SOURCE = {
    "wechat.followed": "wechat.followed",
    "app.registered": "app.registered",
    "trade.executed": "first_trade",
}


@dataclass(frozen=True)
class Path:
    steps: tuple[str, ...]
    clients: int
    median_hours: list[float]


def paths_of(firsts: dict[str, dict[str, datetime]]) -> list[Path]:
    """Group clients by the order of their first times at each step (ties in STEPS order)."""
    gaps: dict[tuple[str, ...], list[list[float]]] = defaultdict(list)
    for times in firsts.values():
        ordered = sorted(times.items(), key=lambda kv: (kv[1], STEPS.index(kv[0])))
        steps = tuple(step for step, _ in ordered)
        hours = [(b - a).total_seconds() / 3600 for (_, a), (_, b) in pairwise(ordered)]
        gaps[steps].append(hours)
    found = [
        Path(
            steps,
            len(rows),
            [round(median(r[i] for r in rows), 3) for i in range(len(steps) - 1)],
        )
        for steps, rows in gaps.items()
    ]
    return sorted(found, key=lambda p: (-p.clients, -len(p.steps), p.steps))


async def conversion_paths(session: AsyncSession) -> list[Path]:
    """Every client who reached at least one step, grouped by the order of their steps."""
    rows = await session.execute(
        select(
            ConversionEventRow.client_id,
            ConversionEventRow.event_type,
            func.min(ConversionEventRow.occurred_at),
        )
        .where(ConversionEventRow.event_type.in_(_SOURCE))
        .group_by(ConversionEventRow.client_id, ConversionEventRow.event_type)
    )
    firsts: dict[str, dict[str, datetime]] = defaultdict(dict)
    for client_id, event_type, at in rows.all():
        firsts[client_id][_SOURCE[event_type]] = aware(at)
    return paths_of(firsts)
