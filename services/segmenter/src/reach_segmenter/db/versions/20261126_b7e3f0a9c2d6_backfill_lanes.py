"""back-fills worked in lanes: client-id ranges side by side

A job's progress cursor moves from `backfills.after_client_id` to one row per lane; a job
running at the upgrade goes on as one lane from where it was.

Revision ID: b7e3f0a9c2d6
Revises: 9d41c7e2a5f0
Create Date: 2026-11-26 18:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7e3f0a9c2d6"
down_revision: str | None = "9d41c7e2a5f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Read before the column goes, written after the table exists: on SQLite, dropping a column
    # rebuilds `backfills`, which would cascade to lanes already made.
    running = (
        op.get_bind()
        .execute(sa.text("SELECT id, after_client_id FROM backfills WHERE status = 'running'"))
        .all()
    )
    with op.batch_alter_table("backfills", schema=None) as batch_op:
        batch_op.drop_column("after_client_id")
    lanes = op.create_table(
        "backfill_lanes",
        sa.Column("backfill_id", sa.String(length=36), nullable=False),
        sa.Column("lane", sa.Integer(), nullable=False),
        sa.Column("after_client_id", sa.String(length=64), nullable=False),
        sa.Column("upper_client_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["backfill_id"],
            ["backfills.id"],
            name=op.f("fk_backfill_lanes_backfill_id_backfills"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("backfill_id", "lane", name=op.f("pk_backfill_lanes")),
    )
    rows = [
        {"backfill_id": job, "lane": 0, "after_client_id": after, "status": "running"}
        for job, after in running
    ]
    if rows:
        op.bulk_insert(lanes, rows)


def downgrade() -> None:
    with op.batch_alter_table("backfills", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("after_client_id", sa.String(length=64), nullable=False, server_default="")
        )
    # a running job restarts from the first client: re-evaluating announces nothing twice
    op.drop_table("backfill_lanes")
