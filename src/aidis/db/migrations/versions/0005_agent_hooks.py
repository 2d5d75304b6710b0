"""Agent lifecycle hooks: the ledger of applied hook events (exactly-once spool replay) and links
from a replaced agent session's connection to its successor's.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aidis.db.types import UTCDateTime, UUIDType

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hook_events",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("agent", sa.String(32), nullable=False),
        sa.Column("event_name", sa.String(64), nullable=False),
        sa.Column("agent_session_id", sa.String(200), nullable=False),
        sa.Column(
            "session_id",
            UUIDType(),
            sa.ForeignKey("sessions.id", ondelete="SET NULL", name="fk_hook_events_session_id_sessions"),
            nullable=True,
        ),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("applied_at", UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(200), nullable=False),
    )
    op.create_index("ix_hook_events_agent_session", "hook_events", ["agent_session_id"])
    op.create_table(
        "connection_links",
        sa.Column("connection_id", sa.String(200), primary_key=True),
        sa.Column("successor_id", sa.String(200), nullable=False),
        sa.Column("linked_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("connection_links")
    op.drop_index("ix_hook_events_agent_session", table_name="hook_events")
    op.drop_table("hook_events")
