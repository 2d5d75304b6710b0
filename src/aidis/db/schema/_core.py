"""The tables of one AIDIS install — projects, sessions, contexts and what hangs off them — and the shared
metadata, naming convention and column types every table uses."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.sql.elements import TextClause

from aidis.db.types import JsonDocument, UTCDateTime, UUIDType
from aidis.enums import (
    SENTINEL_PROJECT_ID,
    ActivityKind,
    Actor,
    ChangeReason,
    ContextType,
    EndReason,
    EventStatus,
    EventType,
    ProjectStatus,
    SessionStatus,
    WorkspaceKind,
)
from aidis.search_syntax import search_text

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

# Partial indexes carry their WHERE per dialect. SQLite's is declared here; PostgreSQL's is added by
# `declare_postgresql_options` when a PostgreSQL engine is built, because naming a `postgresql_*`
# option loads that dialect's modules — a cost every SQLite `aidis mcp` start would pay for nothing.
_POSTGRESQL_WHERE: list[tuple[Index, TextClause]] = []


def _partial_index(name: str, *columns: Column[Any], where: TextClause, unique: bool = False) -> None:
    """Declare an index over the rows matching `where` (on both engines)."""
    _POSTGRESQL_WHERE.append((Index(name, *columns, unique=unique, sqlite_where=where), where))


def declare_postgresql_options() -> None:
    """Give the partial indexes their PostgreSQL WHERE clause (idempotent)."""
    for index, where in _POSTGRESQL_WHERE:
        index.dialect_options["postgresql"]["where"] = where


_OPEN = text("status = 'active'")

# A JSON column: JSONB on PostgreSQL, JSON text on SQLite.
Json = JsonDocument()


def enum_check(column: str, enum_cls: type[StrEnum], name: str) -> CheckConstraint:
    """A CHECK that keeps `column` within the values of `enum_cls`."""
    allowed = ", ".join(f"'{member.value}'" for member in enum_cls)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


SENTINEL_DEFAULT = text(f"'{SENTINEL_PROJECT_ID}'")

projects = Table(
    "projects",
    metadata,
    Column("id", UUIDType(), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("description", Text(), nullable=True),
    Column("status", String(20), nullable=False, server_default=ProjectStatus.ACTIVE.value),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("metadata", Json, nullable=False, server_default=text("'{}'")),
    enum_check("status", ProjectStatus, "status"),
)

connections = Table(
    "connections",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("transport", String(20), nullable=False),
    Column("agent_type", String(64), nullable=False),
    Column("current_project_id", UUIDType(), ForeignKey("projects.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
)

session_counters = Table(
    "session_counters",
    metadata,
    Column("year", Integer(), primary_key=True, autoincrement=False),
    Column("last_value", BigInteger(), nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", UUIDType(), primary_key=True),
    Column("display_id", String(40), nullable=False, unique=True),
    Column(
        "project_id",
        UUIDType(),
        ForeignKey("projects.id", ondelete="RESTRICT"),
        nullable=False,
        server_default=SENTINEL_DEFAULT,
    ),
    Column("connection_id", String(200), nullable=True),
    Column("agent_type", String(64), nullable=False, server_default="unknown"),
    Column("title", String(500), nullable=True),
    Column("goal", Text(), nullable=True),
    Column("status", String(20), nullable=False, server_default=SessionStatus.ACTIVE.value),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("last_activity_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("end_reason", String(30), nullable=True),
    Column("input_tokens", BigInteger(), nullable=False, server_default="0"),
    Column("output_tokens", BigInteger(), nullable=False, server_default="0"),
    Column("context_count", Integer(), nullable=False, server_default="0"),
    Column("event_count", Integer(), nullable=False, server_default="0"),
    Column("tool_call_count", Integer(), nullable=False, server_default="0"),
    Column("metadata", Json, nullable=False, server_default=text("'{}'")),
    Column("user_id", UUIDType(), nullable=True),  # the person it belongs to, on a team server
    enum_check("status", SessionStatus, "status"),
    CheckConstraint(
        "end_reason IS NULL OR end_reason IN ({})".format(", ".join(f"'{r.value}'" for r in EndReason)),
        name="end_reason",
    ),
    CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ended_after_start"),
    CheckConstraint("last_activity_at >= started_at", name="activity_after_start"),
    CheckConstraint(
        "(status = 'active' AND ended_at IS NULL AND end_reason IS NULL)"
        " OR (status <> 'active' AND ended_at IS NOT NULL AND end_reason IS NOT NULL)",
        name="status_matches_end",
    ),
    CheckConstraint(
        "input_tokens >= 0 AND output_tokens >= 0 AND context_count >= 0"
        " AND event_count >= 0 AND tool_call_count >= 0",
        name="counters_non_negative",
    ),
)
_partial_index("uq_sessions_open_connection", sessions.c.connection_id, where=_OPEN, unique=True)
Index("ix_sessions_project_started", sessions.c.project_id, sessions.c.started_at)
Index(
    "ix_sessions_started_cover",
    sessions.c.started_at,
    sessions.c.project_id,
    sessions.c.input_tokens,
    sessions.c.output_tokens,
)
Index("ix_sessions_agent_activity", sessions.c.agent_type, sessions.c.last_activity_at)
Index("ix_sessions_user", sessions.c.user_id)
# a connection's sessions, newest first: every agent session start (and each history import) asks for
# the latest one; without it that was a scan of every session (migration 0015)
Index("ix_sessions_connection_started", sessions.c.connection_id, sessions.c.started_at)
_partial_index("ix_sessions_open_activity", sessions.c.last_activity_at, where=_OPEN)
_partial_index("ix_sessions_open_project", sessions.c.project_id, sessions.c.started_at, where=_OPEN)

# Closed sessions per project and UTC day, kept exact by triggers on `sessions` (migration 0010):
# statistics read these plus the few open sessions instead of every session row.
ROLLUP_COUNTERS = (
    "sessions",
    "ended",
    "timed_out",
    "interrupted",
    "contexts",
    "events",
    "input_tokens",
    "output_tokens",
)
session_rollups = Table(
    "session_rollups",
    metadata,
    Column("project_id", UUIDType(), primary_key=True),
    Column("day", String(10), primary_key=True),
    *(Column(name, BigInteger(), nullable=False, server_default="0") for name in ROLLUP_COUNTERS),
    Column("duration_seconds", Float(), nullable=False, server_default="0"),
)
Index("ix_session_rollups_day", session_rollups.c.day)

session_project_changes = Table(
    "session_project_changes",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("session_id", UUIDType(), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    # Not foreign keys on purpose: the history must outlive a deleted project.
    Column("from_project_id", UUIDType(), nullable=False),
    Column("to_project_id", UUIDType(), nullable=False),
    Column("changed_at", UTCDateTime(), nullable=False),
    Column("reason", String(30), nullable=False),
    Column("actor", String(20), nullable=False),
    Column("run_id", String(64), nullable=True),
    Column("details", Json, nullable=False, server_default=text("'{}'")),
    enum_check("reason", ChangeReason, "reason"),
    enum_check("actor", Actor, "actor"),
)
Index("ix_session_project_changes_session", session_project_changes.c.session_id)
Index("ix_session_project_changes_run", session_project_changes.c.run_id)

project_workspaces = Table(
    "project_workspaces",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("project_id", UUIDType(), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("identity", String(1024), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    enum_check("kind", WorkspaceKind, "kind"),
    UniqueConstraint("kind", "identity", name="uq_project_workspaces_identity"),
)
Index("ix_project_workspaces_project", project_workspaces.c.project_id)

# Every agent hook event applied, once (the idempotency ledger of the spool replay).
hook_events = Table(
    "hook_events",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("agent", String(32), nullable=False),
    Column("event_name", String(64), nullable=False),
    Column("agent_session_id", String(200), nullable=False),
    Column("session_id", UUIDType(), ForeignKey("sessions.id", ondelete="SET NULL"), nullable=True),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("applied_at", UTCDateTime(), nullable=False),
    Column("outcome", String(200), nullable=False),
    Column("user_id", UUIDType(), nullable=True),  # whose event it was, on a team server (0014)
)
Index("ix_hook_events_agent_session", hook_events.c.agent_session_id)

# An agent session that was replaced (Claude Code's /clear): calls still arriving on the old
# connection (its stdio MCP server keeps the old id) continue in the successor's session.
connection_links = Table(
    "connection_links",
    metadata,
    Column("connection_id", String(200), primary_key=True),
    Column("successor_id", String(200), nullable=False),
    Column("linked_at", UTCDateTime(), nullable=False),
    Column("reason", String(64), nullable=False),
)

# What an agent did in a session, from its tool-use hooks: files, commands, test runs, failures.
# Bounded per session (see aidis.services.agents.activity); never file contents or whole outputs.
session_activity = Table(
    "session_activity",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("session_id", UUIDType(), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("agent", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("tool_name", String(200), nullable=True),
    Column("tool_use_id", String(200), nullable=True),
    Column("path", Text(), nullable=True),
    Column("command", String(200), nullable=True),
    Column("exit_code", Integer(), nullable=True),
    Column("tests_passed", Integer(), nullable=True),
    Column("tests_failed", Integer(), nullable=True),
    Column("detail", String(300), nullable=True),
    enum_check("kind", ActivityKind, "kind"),
)
Index("ix_session_activity_session", session_activity.c.session_id, session_activity.c.id)
Index("ix_session_activity_path", session_activity.c.path)


def _folded_content(context: Any) -> str:
    """The insert default of `contexts.search_text`: the row's content, folded."""
    return search_text(str(context.get_current_parameters()["content"]))


contexts = Table(
    "contexts",
    metadata,
    Column("id", UUIDType(), primary_key=True),
    Column("project_id", UUIDType(), ForeignKey("projects.id", ondelete="RESTRICT"), nullable=False),
    Column("session_id", UUIDType(), ForeignKey("sessions.id", ondelete="SET NULL"), nullable=True),
    Column("context_type", String(30), nullable=False),
    Column("content", Text(), nullable=False),
    Column("tags", Json, nullable=False, server_default=text("'[]'")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("metadata", Json, nullable=False, server_default=text("'{}'")),
    Column("topic_key", String(200), nullable=True),  # an agent's stable key: store becomes an upsert
    Column("revision", Integer(), nullable=False, server_default="1"),
    Column("updated_at", UTCDateTime(), nullable=True),
    Column("deleted_at", UTCDateTime(), nullable=True),  # soft delete: hidden, restorable
    Column("purged_at", UTCDateTime(), nullable=True),  # text removed for good; the row is a tombstone
    Column("seen_count", Integer(), nullable=False, server_default="1"),
    Column("last_seen_at", UTCDateTime(), nullable=True),
    Column("content_hash", String(64), nullable=True),  # of the whitespace-normalized content
    # What keyword search indexes: the content folded by aidis.search_syntax.search_text (both engines'
    # full-text indexes are built over it, so they see the same words). Every insert through
    # SQLAlchemy fills it from the content; the repositories rewrite it with each new text.
    Column("search_text", Text(), nullable=False, default=_folded_content),
    enum_check("context_type", ContextType, "context_type"),
)
Index("ix_contexts_project_created", contexts.c.project_id, contexts.c.created_at)
Index("ix_contexts_session", contexts.c.session_id)
Index("ix_contexts_project_hash", contexts.c.project_id, contexts.c.content_hash)
_LIVE_KEY = text("topic_key IS NOT NULL AND deleted_at IS NULL")
_partial_index(
    "uq_contexts_project_topic_key", contexts.c.project_id, contexts.c.topic_key, where=_LIVE_KEY, unique=True
)

# One embedding per context, made by the model named in `model` (a vector of another model is
# replaced in the background); `id` only grows, so a process's vector index reads what is new.
context_vectors = Table(
    "context_vectors",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("context_id", UUIDType(), ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    Column("project_id", UUIDType(), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("model", String(200), nullable=False),
    Column("dim", Integer(), nullable=False),
    Column("vector", LargeBinary(), nullable=False),  # float16, little-endian, unit length
    Column("content_hash", String(64), nullable=True),  # of the text that was embedded
    Column("embedded_at", UTCDateTime(), nullable=False),
    UniqueConstraint("context_id", name="uq_context_vectors_context_id"),
    sqlite_autoincrement=True,  # an id is never reused (SQLite would reuse the largest after a delete)
)
Index("ix_context_vectors_model_id", context_vectors.c.model, context_vectors.c.id)

context_revisions = Table(
    "context_revisions",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("context_id", UUIDType(), ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    Column("revision", Integer(), nullable=False),
    Column("context_type", String(30), nullable=False),
    Column("content", Text(), nullable=False),
    Column("tags", Json, nullable=False),
    Column("written_at", UTCDateTime(), nullable=False),
    Column("replaced_at", UTCDateTime(), nullable=False),
    UniqueConstraint("context_id", "revision", name="uq_context_revisions_context_revision"),
)

analytics_events = Table(
    "analytics_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("actor", String(20), nullable=False),
    Column("event_type", String(30), nullable=False),
    Column("project_id", UUIDType(), ForeignKey("projects.id", ondelete="RESTRICT"), nullable=False),
    Column("session_id", UUIDType(), ForeignKey("sessions.id", ondelete="RESTRICT"), nullable=True),
    Column("context_id", UUIDType(), ForeignKey("contexts.id", ondelete="SET NULL"), nullable=True),
    Column("tool_name", String(64), nullable=True),
    Column("status", String(10), nullable=False, server_default=EventStatus.OK.value),
    Column("duration_ms", Integer(), nullable=True),
    Column("payload", Json, nullable=False, server_default=text("'{}'")),
    enum_check("actor", Actor, "actor"),
    enum_check("event_type", EventType, "event_type"),
    enum_check("status", EventStatus, "status"),
)
Index("ix_analytics_events_session", analytics_events.c.session_id, analytics_events.c.occurred_at)
Index("ix_analytics_events_project_time", analytics_events.c.project_id, analytics_events.c.occurred_at)
Index("ix_analytics_events_type_time", analytics_events.c.event_type, analytics_events.c.occurred_at)

session_evidence = Table(  # kept by triggers on analytics_events (migration 0013); read by backfill
    "session_evidence",
    metadata,
    Column("session_id", UUIDType(), primary_key=True),  # no foreign key: kept by triggers alone
    Column("project_key", String(64), primary_key=True),  # the event's legacy_project_id, as written
    Column("events", BigInteger(), nullable=False),
)

legacy_imports = Table(
    "legacy_imports",
    metadata,
    Column("kind", String(20), primary_key=True),
    Column("legacy_id", String(64), primary_key=True),
    Column("local_id", String(64), nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("imported_at", UTCDateTime(), nullable=False),
)
Index("ix_legacy_imports_run", legacy_imports.c.run_id)
