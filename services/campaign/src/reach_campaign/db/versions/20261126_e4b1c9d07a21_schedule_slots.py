"""schedule slots: a slot (a day or a cron instant) fires page by page, with its progress

Revision ID: e4b1c9d07a21
Revises: dc28080d7b93
Create Date: 2026-11-26 14:30:00
"""

from collections.abc import Sequence

import reach_runtime.db
import sqlalchemy as sa
from alembic import op

revision: str = "e4b1c9d07a21"
down_revision: str | None = "dc28080d7b93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schedule_slots",
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("slot", sa.String(length=64), nullable=False),
        sa.Column("started_at", reach_runtime.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("after_client", sa.String(length=64), nullable=True),
        sa.Column("clients", sa.Integer(), nullable=False),
        sa.Column("finished_at", reach_runtime.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_schedule_slots_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("campaign_id", "slot", name=op.f("pk_schedule_slots")),
    )
    # the days fired before: finished slots
    op.execute(
        "INSERT INTO schedule_slots (campaign_id, slot, started_at, clients, finished_at)"
        " SELECT campaign_id, CAST(day AS VARCHAR(64)), fired_at, clients, fired_at"
        " FROM schedule_runs"
    )
    op.drop_table("schedule_runs")


def downgrade() -> None:
    op.create_table(
        "schedule_runs",
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("fired_at", reach_runtime.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("clients", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_schedule_runs_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("campaign_id", "day", name=op.f("pk_schedule_runs")),
    )
    day = "CAST(slot AS DATE)" if op.get_bind().dialect.name == "postgresql" else "slot"
    op.execute(
        f"INSERT INTO schedule_runs (campaign_id, day, fired_at, clients)"
        f" SELECT campaign_id, {day}, finished_at, clients FROM schedule_slots"
        f" WHERE finished_at IS NOT NULL AND length(slot) = 10"
    )
    op.drop_table("schedule_slots")
