"""Pre-aggregated campaign results (table campaign_counts): the handlers add deltas as rows
change, written once per transaction in key order; `recount` computes the same from the rows.

Metrics and keys (SEP joins the parts of a key):
    decision   requested | held_out | suppressed           outreach decisions
    gate       gate SEP reason                              decisions a gate stopped
    delivery   sent | failed | suppressed                   each send's latest outcome
    sent       ""                                           sends ever accepted by a provider
    notifier   reason                                       sends the notifier refused
    receipt    delivered | opened | clicked | reached | …   receipts, once per send and status
    arm:<dim>  arm SEP value   (dim: campaign, variant, channel, script_version, segment)
               n = clients touched, converted = clients converted, amount = their amounts
    goal       goal_event SEP window_days                   touches measured by that goal
    day        day SEP stage   (Asia/Shanghai day; stage: requested, held_out, suppressed by
               decision time, sent by first send, delivered by receipt, converted by conversion)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from reach_runtime.db import insert_for
from sqlalchemy import func, literal, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from reach_analytics.db.tables import CountRow, DeliveryRow, OutreachRow, ReceiptRow, TouchRow

SEP = "\x1f"
NONE_KEY = "(none)"
DIMENSIONS = ("campaign", "variant", "channel", "script_version", "segment")
_TOUCH_COLUMNS = {
    "campaign": None,
    "variant": TouchRow.variant,
    "channel": TouchRow.channel,
    "script_version": TouchRow.script_version,
    "segment": TouchRow.segment_id,
}
DAY_STAGES = ("requested", "held_out", "suppressed", "sent", "delivered", "converted")
SHANGHAI = ZoneInfo("Asia/Shanghai")
Value = tuple[int, int, Decimal]  # n, converted, amount
Counts = dict[tuple[str, str], Value]  # (metric, key) -> value
Delta = tuple[str, str, str, int, int, Decimal]  # campaign, metric, key, n, converted, amount


def window_text(days: float) -> str:
    return f"{float(days):g}"


def day_key(at: datetime, stage: str) -> str:
    """The `day` metric's key: the Asia/Shanghai calendar day of `at`, and the stage."""
    return f"{at.astimezone(SHANGHAI).date().isoformat()}{SEP}{stage}"


def touch_contribution(touch: TouchRow) -> list[Delta]:
    """What one touch adds to its campaign's counts."""
    converted = 1 if touch.converted_at is not None else 0
    amount = Decimal(touch.converted_amount or 0) if converted else Decimal(0)
    values = {
        "campaign": "all",
        "variant": touch.variant,
        "channel": touch.channel,
        "script_version": touch.script_version,
        "segment": touch.segment_id,
    }
    out: list[Delta] = [
        (
            touch.campaign_id,
            f"arm:{dim}",
            f"{touch.arm}{SEP}{value or NONE_KEY}",
            1,
            converted,
            amount,
        )
        for dim, value in values.items()
    ]
    goal_key = f"{touch.goal_event}{SEP}{window_text(touch.window_days)}"
    out.append((touch.campaign_id, "goal", goal_key, 1, 0, Decimal(0)))
    if touch.arm == "treated" and touch.converted_at is not None:
        converted_day = day_key(touch.converted_at, "converted")
        out.append((touch.campaign_id, "day", converted_day, 1, 0, Decimal(0)))
    return out


class Counters:
    """Deltas of one transaction; `flush` upserts them in key order (no lock-order deadlock
    between two consumers) just before the commit."""

    def __init__(self) -> None:
        self._deltas: dict[tuple[str, str, str], list[Any]] = defaultdict(
            lambda: [0, 0, Decimal(0)]
        )

    def add(
        self,
        campaign_id: str,
        metric: str,
        key: str,
        n: int = 1,
        converted: int = 0,
        amount: Decimal = Decimal(0),
    ) -> None:
        delta = self._deltas[campaign_id, metric, key]
        delta[0] += n
        delta[1] += converted
        delta[2] += amount

    def apply(self, deltas: Iterable[Delta], sign: int = 1) -> None:
        for campaign_id, metric, key, n, converted, amount in deltas:
            self.add(campaign_id, metric, key, sign * n, sign * converted, sign * amount)

    async def flush(self, session: AsyncSession) -> None:
        rows = [
            {"campaign_id": c, "metric": m, "key": k, "n": n, "converted": v, "amount": a}
            for (c, m, k), (n, v, a) in sorted(self._deltas.items())
            if n or v or a
        ]
        self._deltas.clear()
        if not rows:
            return
        insert = insert_for(session)
        for start in range(0, len(rows), 1000):
            statement = insert(CountRow).values(rows[start : start + 1000])
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=["campaign_id", "metric", "key"],
                    set_={
                        "n": CountRow.n + statement.excluded.n,
                        "converted": CountRow.converted + statement.excluded.converted,
                        "amount": CountRow.amount + statement.excluded.amount,
                    },
                )
            )


def _value(n: Any, converted: Any, amount: Any) -> Value:
    return int(n or 0), int(converted or 0), Decimal(str(amount or 0)).quantize(Decimal("0.0001"))


async def read_counts(session: AsyncSession, campaign_id: str) -> Counts:
    """The campaign's stored counts (zeros left by corrections dropped)."""
    rows = await session.execute(
        select(
            CountRow.metric, CountRow.key, CountRow.n, CountRow.converted, CountRow.amount
        ).where(CountRow.campaign_id == campaign_id)
    )
    return {
        (metric, key): _value(n, converted, amount)
        for metric, key, n, converted, amount in rows.all()
        if n or converted or amount
    }


async def counted_campaigns(session: AsyncSession) -> list[str]:
    return list(
        await session.scalars(
            select(CountRow.campaign_id)
            .where(CountRow.metric == "decision", CountRow.n > 0)
            .distinct()
            .order_by(CountRow.campaign_id)
        )
    )


async def recount(session: AsyncSession, campaign_id: str, *, days: bool = True) -> Counts:
    """The same counts computed from the rows by aggregation (slow at scale: for checks, repairs
    and the benchmark's baseline)."""
    counts: Counts = {}

    async def add(metric: str, query: Any, key: Any = lambda *parts: parts[0] or "") -> None:
        """Rows of (key parts…, n, converted, amount); `key` joins the parts."""
        for *parts, n, converted, amount in (await session.execute(query)).all():
            if n:
                counts[metric, key(*parts)] = _value(n, converted, amount)

    zero = literal(0)
    o, d, r, t = OutreachRow, DeliveryRow, ReceiptRow, TouchRow
    mine = o.campaign_id == campaign_id
    await add(
        "decision", select(o.decision, func.count(), zero, zero).where(mine).group_by(o.decision)
    )
    await add(
        "gate",
        select(o.gate, o.reason, func.count(), zero, zero)
        .where(mine, o.decision == "suppressed")
        .group_by(o.gate, o.reason),
        lambda gate, reason: f"{gate or ''}{SEP}{reason or ''}",
    )
    delivered = d.campaign_id == campaign_id
    await add(
        "delivery", select(d.status, func.count(), zero, zero).where(delivered).group_by(d.status)
    )
    await add("sent", select(literal(""), func.count(d.sent_at), zero, zero).where(delivered))
    await add(
        "notifier",
        select(d.reason, func.count(), zero, zero)
        .where(delivered, d.status == "suppressed")
        .group_by(d.reason),
    )
    await add(
        "receipt",
        select(r.status, func.count(), zero, zero)
        .where(r.campaign_id == campaign_id)
        .group_by(r.status),
    )
    for dim, column in _TOUCH_COLUMNS.items():
        group = (t.arm,) if column is None else (t.arm, column)
        await add(
            f"arm:{dim}",
            select(*group, func.count(), func.count(t.converted_at), func.sum(t.converted_amount))
            .where(t.campaign_id == campaign_id)
            .group_by(*group),
            lambda arm, value="all": f"{arm}{SEP}{value or NONE_KEY}",
        )
    goals = await session.execute(
        select(t.goal_event, t.window_days, func.count())
        .where(t.campaign_id == campaign_id)
        .group_by(t.goal_event, t.window_days)
    )
    for goal, window, n in goals.all():
        counts["goal", f"{goal}{SEP}{window_text(window)}"] = _value(n, 0, 0)
    if days:
        await _recount_days(session, campaign_id, counts)
    return counts


def _local_day(column: Any, dialect: str) -> Any:
    """SQL for the Asia/Shanghai day of a stored UTC time (UTC+8 all year, no summer time);
    literal columns, not parameters, so that GROUP BY repeats the very same expression."""
    if dialect == "sqlite":
        return func.date(column, literal_column("'+8 hours'"))
    return func.date(func.timezone(literal_column("'Asia/Shanghai'"), column))


async def _recount_days(session: AsyncSession, campaign_id: str, counts: Counts) -> None:
    o, d, r, t = OutreachRow, DeliveryRow, ReceiptRow, TouchRow
    dialect = session.get_bind().dialect.name
    found: dict[str, int] = defaultdict(int)
    for stage, column, where in (
        (None, o.decided_at, (o.campaign_id == campaign_id,)),
        ("sent", d.sent_at, (d.campaign_id == campaign_id, d.sent_at.is_not(None))),
        ("delivered", r.at, (r.campaign_id == campaign_id, r.status == "delivered")),
        (
            "converted",
            t.converted_at,
            (t.campaign_id == campaign_id, t.arm == "treated", t.converted_at.is_not(None)),
        ),
    ):
        day = _local_day(column, dialect)
        keys = (day,) if stage else (day, o.decision)
        rows = await session.execute(select(*keys, func.count()).where(*where).group_by(*keys))
        for row in rows.all():
            found[f"{row[0]}{SEP}{stage or row[1]}"] += row[-1]
    for key, n in found.items():
        counts["day", key] = _value(n, 0, 0)


async def store_recount(session: AsyncSession, campaign_id: str) -> Counts:
    """Replace the campaign's stored counts by a recount (after a bulk load, or to repair)."""
    from sqlalchemy import delete

    counts = await recount(session, campaign_id)
    await session.execute(delete(CountRow).where(CountRow.campaign_id == campaign_id))
    batch = Counters()
    for (metric, key), (n, converted, amount) in counts.items():
        batch.add(campaign_id, metric, key, n, converted, amount)
    await batch.flush(session)
    return counts
