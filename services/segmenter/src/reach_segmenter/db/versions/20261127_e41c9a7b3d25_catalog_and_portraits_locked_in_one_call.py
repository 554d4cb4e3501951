"""the catalog row and the portraits table locked in one call on PostgreSQL

A consumer batch and a back-fill page start by locking the catalog row (shared) and then the
portraits table (a batch in ROW EXCLUSIVE mode, a page in SHARE mode), and read the catalog
version: two statements and two round trips, before anything else. `segment_catalog_locked`
takes both locks in that order and returns the version in one. (SQLite runs one writer at a time
and needs neither.)

Revision ID: e41c9a7b3d25
Revises: b7e3f0a9c2d6
Create Date: 2026-11-27 02:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e41c9a7b3d25"
down_revision: str | None = "b7e3f0a9c2d6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION segment_catalog_locked(portraits_mode text) RETURNS bigint
        LANGUAGE plpgsql AS $$
        DECLARE
            current bigint;
        BEGIN
            SELECT version INTO current FROM segment_catalog WHERE id = 1 FOR SHARE;
            IF portraits_mode = 'ROW EXCLUSIVE' THEN
                LOCK TABLE portraits IN ROW EXCLUSIVE MODE;
            ELSIF portraits_mode = 'SHARE' THEN
                LOCK TABLE portraits IN SHARE MODE;
            ELSE
                RAISE EXCEPTION 'portraits_mode must be ROW EXCLUSIVE or SHARE, not %',
                    portraits_mode;
            END IF;
            RETURN current;
        END $$
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION segment_catalog_locked(text)")
