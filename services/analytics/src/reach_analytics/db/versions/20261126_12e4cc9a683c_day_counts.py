"""day counts

The `day` metric of campaign_counts (decisions, first sends, delivered receipts and treated
conversions per Asia/Shanghai day), filled from the rows already recorded.

Revision ID: 12e4cc9a683c
Revises: 29bbf587a2dc
Create Date: 2026-11-26 08:49:16.019087
"""

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "12e4cc9a683c"
down_revision: str | None = "29bbf587a2dc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHANGHAI = ZoneInfo("Asia/Shanghai")
SOURCES = (
    "SELECT campaign_id, decided_at, decision FROM outreach",
    "SELECT campaign_id, sent_at, 'sent' FROM deliveries"
    " WHERE campaign_id IS NOT NULL AND sent_at IS NOT NULL",
    "SELECT campaign_id, at, 'delivered' FROM receipts WHERE status = 'delivered'",
    "SELECT campaign_id, converted_at, 'converted' FROM touches"
    " WHERE arm = 'treated' AND converted_at IS NOT NULL",
)


def _day(at: datetime | str) -> str:
    if isinstance(at, str):  # SQLite keeps naive UTC text
        at = datetime.fromisoformat(at)
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    return at.astimezone(SHANGHAI).date().isoformat()


def upgrade() -> None:
    bind = op.get_bind()
    days: Counter[tuple[str, str]] = Counter()
    for query in SOURCES:
        for campaign_id, at, stage in bind.execute(sa.text(query)):
            days[campaign_id, f"{_day(at)}\x1f{stage}"] += 1
    insert = sa.text(
        "INSERT INTO campaign_counts (campaign_id, metric, key, n, converted, amount)"
        " VALUES (:c, 'day', :k, :n, 0, 0)"
    )
    rows = [{"c": c, "k": k, "n": n} for (c, k), n in sorted(days.items())]
    if rows:
        bind.execute(insert, rows)


def downgrade() -> None:
    op.execute("DELETE FROM campaign_counts WHERE metric = 'day'")
