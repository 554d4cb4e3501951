"""Touches are derived once per transaction: handlers only record facts and mark what they may
have changed; just before the commit, `Batch.derive` reloads the marked clients' decisions,
deliveries, facts and snapshots in a few queries and rebuilds their touches, so the result
depends on the stored facts, never on the order they arrived in."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from reach_runtime.uow import UnitOfWork
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reach_analytics.adapters.counts import Counters, touch_contribution
from reach_analytics.db.tables import (
    AssetSnapshotRow,
    ConversionEventRow,
    DeliveryRow,
    OutreachRow,
    TouchRow,
)
from reach_analytics.domain.attribution import (
    SNAPSHOT_GOALS,
    Fact,
    Snapshot,
    conversion,
    source_events,
)

CHUNK = 500


@dataclass(frozen=True)
class Defaults:
    """What a decision is measured by when its event predates goal_event and the window."""

    goal_event: str = "trade.executed"
    window_days: float = 7.0


class Batch:
    """One transaction's counters and the clients whose touches may have changed."""

    def __init__(self, defaults: Defaults) -> None:
        self.defaults = defaults
        self.counters = Counters()
        self.clients: set[str] = set()

    def touched(self, client_id: str) -> None:
        self.clients.add(client_id)

    async def commit(self, session: AsyncSession) -> None:
        await self.derive(session)
        await self.counters.flush(session)

    async def derive(self, session: AsyncSession) -> None:
        clients, self.clients = sorted(self.clients), set()
        for start in range(0, len(clients), CHUNK):
            await self._derive(session, clients[start : start + CHUNK])

    async def _derive(self, session: AsyncSession, clients: list[str]) -> None:
        touches = {
            (t.campaign_id, t.client_id): t
            for t in await session.scalars(select(TouchRow).where(TouchRow.client_id.in_(clients)))
        }
        decisions: dict[tuple[str, str], list[tuple[OutreachRow, DeliveryRow | None]]] = (
            defaultdict(list)
        )
        rows = await session.execute(
            select(OutreachRow, DeliveryRow)
            .outerjoin(DeliveryRow, DeliveryRow.idempotency_key == OutreachRow.idempotency_key)
            .where(OutreachRow.client_id.in_(clients), OutreachRow.decision != "suppressed")
        )
        for outreach, delivery in rows.all():
            decisions[outreach.campaign_id, outreach.client_id].append((outreach, delivery))
        pairs = sorted(set(touches) | set(decisions))
        measured = sorted({client for _, client in pairs})  # most clients were never touched
        facts = await _facts(session, measured) if measured else {}
        snapshots = await _snapshots(session, measured) if measured else {}
        for pair in pairs:
            before = touches.get(pair)
            old = touch_contribution(before) if before is not None else []
            after = self._touch(pair, decisions.get(pair, []), before, session)
            if after is None:
                if before is not None:
                    await session.delete(before)
                    self.counters.apply(old, -1)
                continue
            window = timedelta(days=after.window_days)
            types = source_events(after.goal_event)
            client_facts = [f for t, f in facts.get(after.client_id, []) if t in types]
            found = conversion(
                after.goal_event,
                after.touched_at,
                window,
                client_facts,
                snapshots.get(after.client_id, []) if after.goal_event in SNAPSHOT_GOALS else [],
            )
            after.converted_at = found.at if found else None
            after.converted_amount = found.amount if found else None
            new = touch_contribution(after)
            if new != old:
                self.counters.apply(old, -1)
                self.counters.apply(new)

    def _touch(
        self,
        pair: tuple[str, str],
        rows: list[tuple[OutreachRow, DeliveryRow | None]],
        touch: TouchRow | None,
        session: AsyncSession,
    ) -> TouchRow | None:
        """The first holdout decision, else the first send; None if neither."""
        held = [(o.decided_at, o.idempotency_key, o, None) for o, _ in rows if o.held_out]
        sent = [
            (d.sent_at, o.idempotency_key, o, d)
            for o, d in rows
            if o.decision == "requested" and d is not None and d.sent_at is not None
        ]
        if not held and not sent:
            return None
        at, key, outreach, delivery = min(held or sent, key=lambda t: (t[0], t[1]))
        if touch is None:
            touch = TouchRow(campaign_id=pair[0], client_id=pair[1])
            session.add(touch)
        touch.arm = "holdout" if held else "treated"
        touch.idempotency_key, touch.touched_at = key, at
        touch.goal_event = outreach.goal_event or self.defaults.goal_event
        touch.window_days = float(outreach.window_days or self.defaults.window_days)
        touch.variant, touch.script_version = outreach.variant, outreach.script_version
        touch.channel = delivery.channel if delivery is not None else outreach.channel
        touch.segment_id = outreach.segment_id
        return touch


async def _facts(session: AsyncSession, clients: list[str]) -> dict[str, list[tuple[str, Fact]]]:
    """Each client's facts, in time order: (event type, fact)."""
    out: dict[str, list[tuple[str, Fact]]] = defaultdict(list)
    rows = await session.execute(
        select(
            ConversionEventRow.client_id,
            ConversionEventRow.event_type,
            ConversionEventRow.occurred_at,
            ConversionEventRow.amount,
        )
        .where(ConversionEventRow.client_id.in_(clients))
        .order_by(ConversionEventRow.occurred_at, ConversionEventRow.event_id)
    )
    for client_id, event_type, at, amount in rows.all():
        out[client_id].append((event_type, Fact(at, amount)))
    return out


async def _snapshots(session: AsyncSession, clients: list[str]) -> dict[str, list[Snapshot]]:
    """Each client's end-of-day total assets: the sum over their accounts, per trading day."""
    days: dict[str, dict[Any, list[Any]]] = defaultdict(dict)
    rows = await session.execute(
        select(
            AssetSnapshotRow.client_id,
            AssetSnapshotRow.trading_day,
            AssetSnapshotRow.occurred_at,
            AssetSnapshotRow.total_assets,
        ).where(AssetSnapshotRow.client_id.in_(clients))
    )
    for client_id, day, at, total in rows.all():
        current = days[client_id].setdefault(day, [at, Decimal(0)])
        current[0] = max(current[0], at)
        current[1] += Decimal(total)
    return {
        client_id: [Snapshot(day, at, total) for day, (at, total) in sorted(by_day.items())]
        for client_id, by_day in days.items()
    }


def batch(uow: UnitOfWork, defaults: Defaults | None = None) -> Batch:
    """This transaction's batch, derived and written just before it commits."""
    found = uow.cache.get("analytics.batch")
    if found is None:
        found = uow.cache["analytics.batch"] = Batch(defaults or Defaults())
        session = uow.session
        uow.before_commit(lambda: found.commit(session))
    return found
