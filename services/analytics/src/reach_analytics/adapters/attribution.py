"""First-touch and last-touch credit of goal events among the campaigns that touched a client."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reach_analytics.db.tables import ConversionEventRow, TouchRow
from reach_analytics.domain.attribution import FIRST_TRADE, SNAPSHOT_GOALS, Fact, Touch, credit

CHUNK = 500


@dataclass(frozen=True)
class CampaignCredits:
    credited: dict[str, Any]  # conversions, clients, amount, shared, touched_conversions
    lost_to: dict[str, int]


async def campaign_credits(session: AsyncSession, campaign_id: str, view: str) -> CampaignCredits:
    """This campaign's treated clients, every campaign that treated them, and their goal events."""
    clients = sorted(
        await session.scalars(
            select(TouchRow.client_id).where(
                TouchRow.campaign_id == campaign_id, TouchRow.arm == "treated"
            )
        )
    )
    conversions = shared = touched = 0
    credited_clients: set[str] = set()
    amount = Decimal(0)
    lost: Counter[str] = Counter()
    for start in range(0, len(clients), CHUNK):
        chunk = clients[start : start + CHUNK]
        touches = (
            await session.scalars(
                select(TouchRow).where(TouchRow.client_id.in_(chunk), TouchRow.arm == "treated")
            )
        ).all()
        events = await _events(session, chunk, touches)
        by_client: dict[str, list[Touch]] = defaultdict(list)
        for t in touches:
            by_client[t.client_id].append(
                Touch(t.campaign_id, t.touched_at, t.goal_event, timedelta(days=t.window_days))
            )
        for client_id, client_touches in by_client.items():
            for c in credit(client_id, client_touches, events.get(client_id, {}), view):
                if campaign_id not in c.candidates:
                    continue
                touched += 1
                if c.campaign_id != campaign_id:
                    lost[c.campaign_id] += 1
                    continue
                conversions += 1
                shared += len(c.candidates) > 1
                credited_clients.add(client_id)
                amount += c.amount or 0
    return CampaignCredits(
        credited={
            "conversions": conversions,
            "clients": len(credited_clients),
            "amount": float(amount),
            "shared": shared,
            "touched_conversions": touched,
        },
        lost_to=dict(sorted(lost.items())),
    )


async def _events(
    session: AsyncSession, clients: list[str], touches: Any
) -> dict[str, dict[str, list[Fact]]]:
    """client -> goal -> its events in time order (snapshot goals: each touch's conversion)."""
    goals = {t.goal_event for t in touches}
    events: dict[str, dict[str, list[Fact]]] = defaultdict(lambda: defaultdict(list))
    plain = goals - SNAPSHOT_GOALS - {FIRST_TRADE}
    if plain:
        rows = await session.execute(
            select(
                ConversionEventRow.client_id,
                ConversionEventRow.event_type,
                ConversionEventRow.occurred_at,
                ConversionEventRow.amount,
            )
            .where(
                ConversionEventRow.client_id.in_(clients),
                ConversionEventRow.event_type.in_(plain),
            )
            .order_by(ConversionEventRow.occurred_at, ConversionEventRow.event_id)
        )
        for client_id, event_type, at, value in rows.all():
            events[client_id][event_type].append(Fact(at, value))
    if FIRST_TRADE in goals:
        trades = await session.execute(
            select(
                ConversionEventRow.client_id,
                ConversionEventRow.occurred_at,
                ConversionEventRow.amount,
            )
            .where(
                ConversionEventRow.client_id.in_(clients),
                ConversionEventRow.event_type == "trade.executed",
            )
            .order_by(ConversionEventRow.occurred_at, ConversionEventRow.event_id)
        )
        for client_id, at, value in trades.all():
            if not events[client_id][FIRST_TRADE]:
                events[client_id][FIRST_TRADE].append(Fact(at, value))
    for t in touches:
        if t.goal_event in SNAPSHOT_GOALS and t.converted_at is not None:
            facts = events[t.client_id][t.goal_event]
            if all(f.at != t.converted_at for f in facts):
                facts.append(Fact(t.converted_at, t.converted_amount))
                facts.sort(key=lambda f: f.at)
    return events
