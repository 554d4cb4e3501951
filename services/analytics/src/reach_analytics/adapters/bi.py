"""The BI datasets: stable, documented columns (docs/analytics.md), filters, keyset pages.

Every string cell goes through privacy.mask, and no dataset has a contact column: client ids are
the brokerage's own opaque ids, never a phone number, an e-mail address or a WeChat openid."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from reach_analytics.adapters import reports
from reach_analytics.db.tables import ConversionEventRow, DeliveryRow, OutreachRow, TouchRow
from reach_analytics.domain.privacy import mask


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    columns: tuple[tuple[str, Any], ...]  # name, column expression
    keys: tuple[Any, ...]  # a unique order for keyset pages
    time: Any  # what `from` and `to` filter on
    campaign: Callable[[str], ColumnElement[bool]] | None


def _conversions_of(campaign_id: str) -> ColumnElement[bool]:
    touched = select(TouchRow.client_id).where(TouchRow.campaign_id == campaign_id)
    return ConversionEventRow.client_id.in_(touched)


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "outreach",
            "One row per campaign decision: requested, held_out or suppressed (gate, reason).",
            (
                ("idempotency_key", OutreachRow.idempotency_key),
                ("campaign_id", OutreachRow.campaign_id),
                ("campaign_name", OutreachRow.campaign_name),
                ("client_id", OutreachRow.client_id),
                ("decision", OutreachRow.decision),
                ("gate", OutreachRow.gate),
                ("reason", OutreachRow.reason),
                ("variant", OutreachRow.variant),
                ("channel", OutreachRow.channel),
                ("script_version", OutreachRow.script_version),
                ("segment_id", OutreachRow.segment_id),
                ("goal_event", OutreachRow.goal_event),
                ("window_days", OutreachRow.window_days),
                ("decided_at", OutreachRow.decided_at),
            ),
            (OutreachRow.idempotency_key,),
            OutreachRow.decided_at,
            lambda c: OutreachRow.campaign_id == c,
        ),
        Dataset(
            "deliveries",
            "One row per outreach the notifier handled: its last outcome and first send.",
            (
                ("idempotency_key", DeliveryRow.idempotency_key),
                ("campaign_id", DeliveryRow.campaign_id),
                ("client_id", DeliveryRow.client_id),
                ("channel", DeliveryRow.channel),
                ("status", DeliveryRow.status),
                ("reason", DeliveryRow.reason),
                ("sent_at", DeliveryRow.sent_at),
                ("outcome_at", DeliveryRow.at),
            ),
            (DeliveryRow.idempotency_key,),
            DeliveryRow.at,
            lambda c: DeliveryRow.campaign_id == c,
        ),
        Dataset(
            "conversions",
            "Upstream facts a goal or a path can name; campaign_id keeps the clients it touched.",
            (
                ("event_id", ConversionEventRow.event_id),
                ("client_id", ConversionEventRow.client_id),
                ("event_type", ConversionEventRow.event_type),
                ("occurred_at", ConversionEventRow.occurred_at),
                ("amount", ConversionEventRow.amount),
            ),
            (ConversionEventRow.event_id,),
            ConversionEventRow.occurred_at,
            _conversions_of,
        ),
        Dataset(
            "touches",
            "One row per campaign and client: the first touch (treated or holdout) and whether "
            "the goal followed within the window.",
            (
                ("campaign_id", TouchRow.campaign_id),
                ("client_id", TouchRow.client_id),
                ("arm", TouchRow.arm),
                ("touched_at", TouchRow.touched_at),
                ("goal_event", TouchRow.goal_event),
                ("window_days", TouchRow.window_days),
                ("variant", TouchRow.variant),
                ("channel", TouchRow.channel),
                ("script_version", TouchRow.script_version),
                ("segment_id", TouchRow.segment_id),
                ("converted_at", TouchRow.converted_at),
                ("converted_amount", TouchRow.converted_amount),
            ),
            (TouchRow.campaign_id, TouchRow.client_id),
            TouchRow.touched_at,
            lambda c: TouchRow.campaign_id == c,
        ),
    )
}
RESULT_COLUMNS = (
    "campaign_id",
    "campaign_name",
    "goal_event",
    "window_days",
    "requested",
    "held_out",
    "suppressed_by_gate",
    "sent",
    "treated_clients",
    "treated_converted",
    "treated_rate",
    "holdout_clients",
    "holdout_converted",
    "holdout_rate",
    "absolute_uplift",
    "relative_uplift",
    "ci_low",
    "ci_high",
    "small_sample",
    "converted_amount",
)
NAMES = (*DATASETS, "campaign_results")


def columns_of(name: str) -> list[str]:
    if name == "campaign_results":
        return list(RESULT_COLUMNS)
    return [c for c, _ in DATASETS[name].columns]


def cell(value: Any) -> Any:
    """A JSON-ready value: times in ISO 8601 UTC, amounts as numbers, text masked."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        return mask(value)
    return value


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    """The key values of the last row of the previous page; ValueError if it is not one."""
    padded = cursor + "=" * (-len(cursor) % 4)
    values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    if not isinstance(values, list) or not all(
        isinstance(v, str) and len(v) <= 200 and "\x00" not in v for v in values
    ):
        raise ValueError("not a cursor from this API")
    return values


@dataclass(frozen=True)
class Filters:
    campaign_id: str | None = None
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive


def _query(dataset: Dataset, filters: Filters, after: list[str] | None) -> Select[Any]:
    query = select(*(c for _, c in dataset.columns))
    if filters.campaign_id is not None and dataset.campaign is not None:
        query = query.where(dataset.campaign(filters.campaign_id))
    if filters.start is not None:
        query = query.where(dataset.time >= filters.start)
    if filters.end is not None:
        query = query.where(dataset.time < filters.end)
    if after is not None:
        if len(after) != len(dataset.keys):
            raise ValueError("not a cursor of this dataset")
        query = query.where(tuple_(*dataset.keys) > tuple_(*after))
    return query.order_by(*dataset.keys)


async def page(
    session: AsyncSession, name: str, filters: Filters, *, after: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Up to `limit` rows after the cursor, and the cursor of the next page (None at the end)."""
    if name == "campaign_results":
        rows = await campaign_results(session, filters)
        start = 0
        if after is not None:
            (last,) = decode_cursor(after)
            start = next((i for i, r in enumerate(rows) if r["campaign_id"] > last), len(rows))
        chunk = rows[start : start + limit]
        more = start + limit < len(rows)
        return chunk, encode_cursor([chunk[-1]["campaign_id"]]) if more and chunk else None
    dataset = DATASETS[name]
    query = _query(dataset, filters, decode_cursor(after) if after else None).limit(limit + 1)
    names = columns_of(name)
    found = (await session.execute(query)).all()
    out = [dict(zip(names, (cell(v) for v in row), strict=True)) for row in found[:limit]]
    if len(found) <= limit:
        return out, None
    last = found[limit - 1]
    key_names = [n for n, c in dataset.columns if any(c is k for k in dataset.keys)]
    return out, encode_cursor([str(last[names.index(k)]) for k in key_names])


async def every_row(
    session: AsyncSession, name: str, filters: Filters, *, page_size: int = 1000
) -> AsyncIterator[dict[str, Any]]:
    """Every row of the dataset, a page at a time (for the CSV stream)."""
    after = None
    while True:
        rows, after = await page(session, name, filters, after=after, limit=page_size)
        for row in rows:
            yield row
        if after is None:
            return


async def campaign_results(session: AsyncSession, filters: Filters) -> list[dict[str, Any]]:
    ids = await reports.campaign_ids(session)
    if filters.campaign_id is not None:
        ids = [i for i in ids if i == filters.campaign_id]
    out = []
    for campaign_id in ids:
        r = await reports.campaign_report(session, campaign_id)
        if r is None:
            continue
        c = r.comparison
        values = (
            r.campaign_id,
            r.campaign_name,
            r.goal_event,
            r.window_days,
            r.requested,
            r.held_out,
            r.suppressed_by_gate,
            r.sent,
            c.treated.clients,
            c.treated.converted,
            c.treated.rate,
            c.holdout.clients,
            c.holdout.converted,
            c.holdout.rate,
            c.absolute,
            c.relative,
            c.ci_low,
            c.ci_high,
            c.small_sample,
            r.converted_amount,
        )
        out.append(dict(zip(RESULT_COLUMNS, (cell(v) for v in values), strict=True)))
    return out
