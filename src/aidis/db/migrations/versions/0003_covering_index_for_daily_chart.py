"""Covering index for sessions-per-project-per-day (the dashboard chart) so it never reads the table.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_sessions_started_cover", "sessions", ["started_at", "project_id", "input_tokens", "output_tokens"]
    )
    op.drop_index("ix_sessions_started", table_name="sessions")


def downgrade() -> None:
    op.create_index("ix_sessions_started", "sessions", ["started_at"])
    op.drop_index("ix_sessions_started_cover", table_name="sessions")
