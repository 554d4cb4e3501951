"""memberships and their history without a foreign key to segments

A back-fill writes a membership and a history row per member, and each foreign key checked its
row with a trigger: about a fifth of the database time of a 1M-portrait back-fill. Segments are
never deleted (archiving keeps the row), so the keys guarded only against the segmenter's own
code writing an id it did not take from the catalog.

Revision ID: 9d41c7e2a5f0
Revises: 3f6a2d9c1b84
Create Date: 2026-11-26 17:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9d41c7e2a5f0"
down_revision: str | None = "3f6a2d9c1b84"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = [
    ("memberships", "fk_memberships_segment_id_segments"),
    ("membership_history", "fk_membership_history_segment_id_segments"),
]


def upgrade() -> None:
    for table, name in KEYS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    for table, name in KEYS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(
                name, "segments", ["segment_id"], ["id"], ondelete="CASCADE"
            )
