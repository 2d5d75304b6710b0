"""What agents did, captured from their tool-use hooks without model calls: one row per file read,
created, edited or deleted, shell command, test run and failed tool, bounded per session.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aidis.db.types import UTCDateTime, UUIDType

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

KINDS = ("read", "create", "edit", "delete", "command", "test", "error")


def upgrade() -> None:
    op.create_table(
        "session_activity",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column(
            "session_id",
            UUIDType(),
            sa.ForeignKey("sessions.id", ondelete="CASCADE", name="fk_session_activity_session_id_sessions"),
            nullable=False,
        ),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("agent", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("tool_name", sa.String(200), nullable=True),
        sa.Column("tool_use_id", sa.String(200), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("command", sa.String(200), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("tests_passed", sa.Integer(), nullable=True),
        sa.Column("tests_failed", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(300), nullable=True),
        sa.CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in KINDS) + ")", name="ck_session_activity_kind"
        ),
    )
    op.create_index("ix_session_activity_session", "session_activity", ["session_id", "id"])
    op.create_index("ix_session_activity_path", "session_activity", ["path"])


def downgrade() -> None:
    op.drop_index("ix_session_activity_path", table_name="session_activity")
    op.drop_index("ix_session_activity_session", table_name="session_activity")
    op.drop_table("session_activity")
