"""What prompt-time recall handed to each agent session: one row per (agent session, context), so a note
is injected into a session at most once (migration 0019)."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, PrimaryKeyConstraint, String, Table

from aidis.db.schema._core import metadata
from aidis.db.types import UTCDateTime, UUIDType

recalled_contexts = Table(
    "recalled_contexts",
    metadata,
    # the agent session's connection (agent and its own session id, within the person on a team server)
    Column("connection_id", String(200), nullable=False),
    Column("context_id", UUIDType(), ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    Column("project_id", UUIDType(), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("recalled_at", UTCDateTime(), nullable=False),
    Column("score", Float(), nullable=False),  # the relevance it passed the floor with
    PrimaryKeyConstraint("connection_id", "context_id", name="pk_recalled_contexts"),
)
Index("ix_recalled_contexts_recalled_at", recalled_contexts.c.recalled_at)
