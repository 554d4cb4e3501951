"""BI datasets over HTTP: JSON pages (keyset cursor) and the same columns as a streamed CSV.
Read-only: analytics has no write endpoint; contact details are never among the columns."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from reach_runtime.errors import Invalid
from reach_runtime.http import Session

from reach_analytics.adapters import bi

router = APIRouter(prefix="/bi", tags=["bi"])
DatasetName = Literal["outreach", "deliveries", "conversions", "touches", "campaign_results"]
MAX_LIMIT = 1000


class DatasetPage(BaseModel):
    dataset: str
    columns: list[str] = Field(description="The dataset's columns, in order (docs/analytics.md)")
    rows: list[dict[str, Any]]
    next_cursor: str | None = Field(description="Pass as `after` for the next page; null: done")


def _filters(
    dataset: str, campaign_id: str | None, start: datetime | None, end: datetime | None
) -> bi.Filters:
    for name, value in (("from", start), ("to", end)):
        if value is not None and value.tzinfo is None:
            raise Invalid("a time with a UTC offset, e.g. 2026-11-23T00:00:00+08:00", field=name)
        try:
            _ = value.astimezone(UTC) if value is not None else None
        except OverflowError:
            raise Invalid("out of range once in UTC", field=name) from None
        if value is not None and dataset == "campaign_results":
            raise Invalid("campaign_results has no time column to filter on", field=name)
    if start is not None and end is not None and end <= start:
        raise Invalid("must be later than 'from'", field="to")
    return bi.Filters(campaign_id=campaign_id, start=start, end=end)


CampaignFilter = Annotated[
    str | None,
    Query(max_length=64, description="Rows of this campaign (conversions: of its clients)"),
]
From = Annotated[datetime | None, Query(alias="from", description="Inclusive, with an offset")]
To = Annotated[datetime | None, Query(alias="to", description="Exclusive, with an offset")]


@router.get(
    "/{dataset}.csv", summary="A BI dataset as CSV, streamed", response_class=StreamingResponse
)
async def dataset_csv(
    dataset: DatasetName,
    request: Request,
    campaign_id: CampaignFilter = None,
    start: From = None,
    end: To = None,
) -> StreamingResponse:
    filters = _filters(dataset, campaign_id, start, end)
    sessions = request.app.state.runtime.sessions
    columns = bi.columns_of(dataset)

    async def lines() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        async with sessions() as session:
            async for row in bi.every_row(session, dataset, filters):
                writer.writerow(_csv_cell(row[c]) for c in columns)
                if buffer.tell() > 64 * 1024:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{dataset}.csv"'},
    )


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


@router.get("/{dataset}", response_model=DatasetPage, summary="A page of a BI dataset")
async def dataset_page(
    dataset: DatasetName,
    session: Session,
    campaign_id: CampaignFilter = None,
    start: From = None,
    end: To = None,
    after: Annotated[str | None, Query(max_length=2000, description="next_cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> DatasetPage:
    filters = _filters(dataset, campaign_id, start, end)
    try:
        rows, cursor = await bi.page(session, dataset, filters, after=after, limit=limit)
    except (ValueError, TypeError) as error:
        raise Invalid(f"not a cursor of this dataset: {error}", field="after") from None
    return DatasetPage(
        dataset=dataset, columns=bi.columns_of(dataset), rows=rows, next_cursor=cursor
    )
