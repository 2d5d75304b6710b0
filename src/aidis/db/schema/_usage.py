"""What the agents' models used, by session, UTC hour and model: the stored fact that cost is derived
from (prices change; tokens do not). Hours, not days, so a day can be cut in any whole-hour time zone."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
)

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

# The time zones days are cut in for `usage_days`: one row per change of a zone's offset (IANA data),
# the first at 1970 (migration 0017).
usage_day_zones = Table(
    "usage_day_zones",
    metadata,
    Column("zone", String(64), nullable=False),
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("offset_minutes", Integer(), nullable=False),
    PrimaryKeyConstraint("zone", "starts_at", name="pk_usage_day_zones"),
)

# The hourly rollups summed per local day of each zone above, kept by a trigger on usage_rollups.
usage_days = Table(
    "usage_days",
    metadata,
    Column("zone", String(64), nullable=False),
    Column("day", Date(), nullable=False),
    Column("project_id", UUIDType(), nullable=False),
    Column("agent", String(64), nullable=False),
    Column("model", String(200), nullable=False),
    Column("owner", UUIDType(), nullable=False),
    Column("input_tokens", BigInteger(), nullable=False, server_default="0"),
    Column("output_tokens", BigInteger(), nullable=False, server_default="0"),
    Column("cache_write_tokens", BigInteger(), nullable=False, server_default="0"),
    Column("cache_read_tokens", BigInteger(), nullable=False, server_default="0"),
    Column("cache_write_1h_tokens", BigInteger(), nullable=False, server_default="0"),
    PrimaryKeyConstraint("zone", "day", "agent", "model", "project_id", "owner", name="pk_usage_days"),
    sqlite_with_rowid=False,  # read in key order (day, agent, model, project): no lookup per row
)

# USD per million tokens by model, written by AIDIS from its price data ('*': a model it does not know);
# only the costliest sessions' ranking reads them (migration 0018)
usage_weights = Table(
    "usage_weights",
    metadata,
    Column("model", String(200), nullable=False),
    Column("input", Float(), nullable=False),
    Column("output", Float(), nullable=False),
    Column("cache_write", Float(), nullable=False),
    Column("cache_read", Float(), nullable=False),
    PrimaryKeyConstraint("model", name="pk_usage_weights"),
)

# Each session's usage weighed by usage_weights, and the first and last hour it used, kept by triggers on
# session_usage: the costliest sessions of a range are an index walk, not a scan of the range's rows.
usage_session_ranks = Table(
    "usage_session_ranks",
    metadata,
    Column("session_id", UUIDType(), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("first_hour", UTCDateTime(), nullable=False),
    Column("last_hour", UTCDateTime(), nullable=False),
    Column("weight", Float(), nullable=False, server_default="0"),
    Column("tokens", BigInteger(), nullable=False, server_default="0"),  # equal weights: more tokens first
    PrimaryKeyConstraint("session_id", name="pk_usage_session_ranks"),
)
Index("ix_usage_session_ranks_weight", usage_session_ranks.c.weight, usage_session_ranks.c.tokens)
