"""Ledger of rows imported from a TypeScript-AIDIS database (makes `aidis import-legacy` idempotent).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aidis.db.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "legacy_imports",
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("legacy_id", sa.String(64), nullable=False),
        sa.Column("local_id", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "legacy_id", name="pk_legacy_imports"),
    )
    op.create_index("ix_legacy_imports_run", "legacy_imports", ["run_id"])


def downgrade() -> None:
    op.drop_table("legacy_imports")
