"""What the agents' models used, by session, UTC hour and model: the stored fact that cost is derived
from (prices change; tokens do not). Hours, not days, so a day can be cut in any whole-hour time zone."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, PrimaryKeyConstraint, String, Table

from aidis.db.schema._core import metadata
from aidis.db.types import UTCDateTime, UUIDType

session_usage = Table(
    "session_usage",
    metadata,
    Column("session_id", UUIDType(), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("hour", UTCDateTime(), nullable=False),  # the start of the UTC hour the responses came in
    Column("model", String(200), nullable=False),
    Column("input_tokens", BigInteger(), nullable=False, server_default="0"),  # not cached
    Column("output_tokens", BigInteger(), nullable=False, server_default="0"),
    Column("cache_write_tokens", BigInteger(), nullable=False, server_default="0"),
    Column("cache_read_tokens", BigInteger(), nullable=False, server_default="0"),
    # the part of cache_write_tokens the agent asked to keep for an hour (priced higher), where it says so
    Column("cache_write_1h_tokens", BigInteger(), nullable=False, server_default="0"),
    PrimaryKeyConstraint("session_id", "hour", "model", name="pk_session_usage"),
)
Index("ix_session_usage_hour", session_usage.c.hour)

# The same tokens without the session: per UTC hour, project, agent, model and owner (the session's
# person, or the zero id), kept by triggers on session_usage and sessions (migration 0016).
usage_rollups = Table(
    "usage_rollups",
    metadata,
    Column("hour", UTCDateTime(), nullable=False),
    Column("project_id", UUIDType(), nullable=False),
    Column("agent", String(64), nullable=False),
    Column("model", String(200), nullable=False),
    Column("owner", UUIDType(), nullable=False),
    Column("input_tokens", BigInteger(), nullable=False, server_default="0"),
    Column("output_tokens", BigInteger(), nullable=False, server_default="0"),
    Column("cache_write_tokens", BigInteger(), nullable=False, server_default="0"),
    Column("cache_read_tokens", BigInteger(), nullable=False, server_default="0"),
    Column("cache_write_1h_tokens", BigInteger(), nullable=False, server_default="0"),
    PrimaryKeyConstraint("hour", "project_id", "agent", "model", "owner", name="pk_usage_rollups"),
)
