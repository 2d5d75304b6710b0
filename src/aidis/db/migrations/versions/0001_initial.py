"""Initial schema: projects (with the __unassigned__ sentinel), connections, sessions, changes,
contexts (with full-text search), analytics events; triggers that guard the sentinel and
refuse a NULL session project even from raw SQL.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from aidis.db.types import UTCDateTime, UUIDType

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SENTINEL = "00000000-0000-0000-0000-000000000000"
NULL_PROJECT_MESSAGE = (
    "sessions.project_id must not be NULL: every session belongs to a project "
    f"(use the __unassigned__ project {SENTINEL})"
)

# Enum values frozen as of this revision (a later migration changes them explicitly).
SESSION_STATUS = ("active", "ended", "timed_out", "interrupted")
END_REASON = (
    "explicit",
    "new_session",
    "connection_closed",
    "idle_timeout",
    "shutdown",
    "restart_cleanup",
    "integrity_fix",
)
EVENT_TYPE = (
    "session_start",
    "session_end",
    "session_assigned",
    "context_stored",
    "tool_call",
    "project_created",
    "project_renamed",
    "project_archived",
    "project_deleted",
    "project_switched",
)
EVENT_STATUS = ("ok", "error")
ACTOR = ("agent", "user", "system", "backfill", "import")
CHANGE_REASON = (
    "explicit_assign",
    "project_switch",
    "auto_assign",
    "bulk_assign",
    "project_deleted",
    "backfill",
    "backfill_revert",
)
PROJECT_STATUS = ("active", "archived")
CONTEXT_TYPE = (
    "code",
    "decision",
    "error",
    "discussion",
    "planning",
    "completion",
    "milestone",
    "reflection",
    "handoff",
    "note",
)


def _in(column: str, allowed: tuple[str, ...]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in allowed))


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(JSONB(), "postgresql")


def _bigid() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", UUIDType(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False, server_default="active"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("metadata", _json(), nullable=False, server_default=sa.text("'{}'")),
        sa.CheckConstraint(_in("status", PROJECT_STATUS), name="ck_projects_status"),
        sa.PrimaryKeyConstraint("id", name="pk_projects"),
        sa.UniqueConstraint("name", name="uq_projects_name"),
    )
    op.create_table(
        "connections",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("transport", sa.String(20), nullable=False),
        sa.Column("agent_type", sa.String(64), nullable=False),
        sa.Column("current_project_id", UUIDType(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_connections"),
        sa.ForeignKeyConstraint(
            ["current_project_id"],
            ["projects.id"],
            ondelete="SET NULL",
            name="fk_connections_current_project_id_projects",
        ),
    )
    op.create_table(
        "session_counters",
        sa.Column("year", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("last_value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("year", name="pk_session_counters"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("display_id", sa.String(40), nullable=False),
        sa.Column("project_id", UUIDType(), nullable=False, server_default=sa.text(f"'{SENTINEL}'")),
        sa.Column("connection_id", sa.String(200), nullable=True),
        sa.Column("agent_type", sa.String(64), nullable=False, server_default="unknown"),
        sa.Column("title", sa.String(500), nullable=True),
        sa.Column("goal", sa.Text(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False, server_default="active"),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("last_activity_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("end_reason", sa.String(30), nullable=True),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("context_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("event_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("tool_call_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("metadata", _json(), nullable=False, server_default=sa.text("'{}'")),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
        sa.UniqueConstraint("display_id", name="uq_sessions_display_id"),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], ondelete="RESTRICT", name="fk_sessions_project_id_projects"
        ),
        sa.CheckConstraint(_in("status", SESSION_STATUS), name="ck_sessions_status"),
        sa.CheckConstraint(
            "end_reason IS NULL OR " + _in("end_reason", END_REASON), name="ck_sessions_end_reason"
        ),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at >= started_at", name="ck_sessions_ended_after_start"
        ),
        sa.CheckConstraint("last_activity_at >= started_at", name="ck_sessions_activity_after_start"),
        sa.CheckConstraint(
            "(status = 'active' AND ended_at IS NULL AND end_reason IS NULL)"
            " OR (status <> 'active' AND ended_at IS NOT NULL AND end_reason IS NOT NULL)",
            name="ck_sessions_status_matches_end",
        ),
        sa.CheckConstraint(
            "input_tokens >= 0 AND output_tokens >= 0 AND context_count >= 0"
            " AND event_count >= 0 AND tool_call_count >= 0",
            name="ck_sessions_counters_non_negative",
        ),
    )
    open_only = sa.text("status = 'active'")
    op.create_index(
        "uq_sessions_open_connection",
        "sessions",
        ["connection_id"],
        unique=True,
        sqlite_where=open_only,
        postgresql_where=open_only,
    )
    op.create_index("ix_sessions_project_started", "sessions", ["project_id", "started_at"])
    op.create_index("ix_sessions_started", "sessions", ["started_at"])
    op.create_index("ix_sessions_agent_activity", "sessions", ["agent_type", "last_activity_at"])
    op.create_index(
        "ix_sessions_open_activity",
        "sessions",
        ["last_activity_at"],
        sqlite_where=open_only,
        postgresql_where=open_only,
    )

    op.create_table(
        "session_project_changes",
        sa.Column("id", _bigid(), primary_key=True, autoincrement=True),
        sa.Column("session_id", UUIDType(), nullable=False),
        sa.Column("from_project_id", UUIDType(), nullable=False),
        sa.Column("to_project_id", UUIDType(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(30), nullable=False),
        sa.Column("actor", sa.String(20), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("details", _json(), nullable=False, server_default=sa.text("'{}'")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            ondelete="CASCADE",
            name="fk_session_project_changes_session_id_sessions",
        ),
        sa.CheckConstraint(_in("reason", CHANGE_REASON), name="ck_session_project_changes_reason"),
        sa.CheckConstraint(_in("actor", ACTOR), name="ck_session_project_changes_actor"),
    )
    op.create_index("ix_session_project_changes_session", "session_project_changes", ["session_id"])
    op.create_index("ix_session_project_changes_run", "session_project_changes", ["run_id"])

    op.create_table(
        "contexts",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("project_id", UUIDType(), nullable=False),
        sa.Column("session_id", UUIDType(), nullable=True),
        sa.Column("context_type", sa.String(30), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("tags", _json(), nullable=False, server_default=sa.text("'[]'")),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("metadata", _json(), nullable=False, server_default=sa.text("'{}'")),
        sa.PrimaryKeyConstraint("id", name="pk_contexts"),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], ondelete="RESTRICT", name="fk_contexts_project_id_projects"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], ondelete="SET NULL", name="fk_contexts_session_id_sessions"
        ),
        sa.CheckConstraint(_in("context_type", CONTEXT_TYPE), name="ck_contexts_context_type"),
    )
    op.create_index("ix_contexts_project_created", "contexts", ["project_id", "created_at"])
    op.create_index("ix_contexts_session", "contexts", ["session_id"])

    op.create_table(
        "analytics_events",
        sa.Column("id", _bigid(), primary_key=True, autoincrement=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(20), nullable=False),
        sa.Column("event_type", sa.String(30), nullable=False),
        sa.Column("project_id", UUIDType(), nullable=False),
        sa.Column("session_id", UUIDType(), nullable=True),
        sa.Column("context_id", UUIDType(), nullable=True),
        sa.Column("tool_name", sa.String(64), nullable=True),
        sa.Column("status", sa.String(10), nullable=False, server_default="ok"),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("payload", _json(), nullable=False, server_default=sa.text("'{}'")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            ondelete="RESTRICT",
            name="fk_analytics_events_project_id_projects",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            ondelete="RESTRICT",
            name="fk_analytics_events_session_id_sessions",
        ),
        sa.ForeignKeyConstraint(
            ["context_id"],
            ["contexts.id"],
            ondelete="SET NULL",
            name="fk_analytics_events_context_id_contexts",
        ),
        sa.CheckConstraint(_in("actor", ACTOR), name="ck_analytics_events_actor"),
        sa.CheckConstraint(_in("event_type", EVENT_TYPE), name="ck_analytics_events_event_type"),
        sa.CheckConstraint(_in("status", EVENT_STATUS), name="ck_analytics_events_status"),
    )
    op.create_index("ix_analytics_events_session", "analytics_events", ["session_id", "occurred_at"])
    op.create_index("ix_analytics_events_project_time", "analytics_events", ["project_id", "occurred_at"])
    op.create_index("ix_analytics_events_type_time", "analytics_events", ["event_type", "occurred_at"])

    if op.get_bind().dialect.name == "postgresql":
        _postgres_extras()
    else:
        _sqlite_extras()
    op.execute(
        "INSERT INTO projects (id, name, description, status, created_at, updated_at, metadata) VALUES "
        f"('{SENTINEL}', '__unassigned__', 'Sessions whose project is not known yet', 'active', "
        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '{\"sentinel\": true}')"
    )


def _postgres_extras() -> None:
    op.execute(
        f"""
        CREATE FUNCTION aidis_sessions_project_not_null() RETURNS trigger AS $$
        BEGIN
          IF NEW.project_id IS NULL THEN
            RAISE EXCEPTION '{NULL_PROJECT_MESSAGE}' USING ERRCODE = 'not_null_violation';
          END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER trg_sessions_project_not_null BEFORE INSERT OR UPDATE OF project_id ON sessions "
        "FOR EACH ROW EXECUTE FUNCTION aidis_sessions_project_not_null()"
    )
    op.execute(
        f"""
        CREATE FUNCTION aidis_protect_sentinel_project() RETURNS trigger AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            IF OLD.id = '{SENTINEL}' THEN
              RAISE EXCEPTION 'the __unassigned__ project cannot be deleted' USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN OLD;
          END IF;
          IF OLD.id = '{SENTINEL}' AND (NEW.id <> OLD.id OR NEW.name <> OLD.name) THEN
            RAISE EXCEPTION 'the __unassigned__ project cannot be renamed' USING ERRCODE = 'restrict_violation';
          END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER trg_projects_protect_sentinel BEFORE UPDATE OR DELETE ON projects "
        "FOR EACH ROW EXECUTE FUNCTION aidis_protect_sentinel_project()"
    )
    op.execute(
        "ALTER TABLE contexts ADD COLUMN search_vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('english', content)) STORED"
    )
    op.execute("CREATE INDEX ix_contexts_search_vector ON contexts USING GIN (search_vector)")


def _sqlite_extras() -> None:
    for event, when in (("INSERT", "INSERT"), ("UPDATE", "UPDATE OF project_id")):
        op.execute(
            f"CREATE TRIGGER trg_sessions_project_not_null_{event.lower()} BEFORE {when} ON sessions "
            f"WHEN NEW.project_id IS NULL BEGIN SELECT RAISE(ABORT, '{NULL_PROJECT_MESSAGE}'); END"
        )
    op.execute(
        "CREATE TRIGGER trg_projects_sentinel_no_delete BEFORE DELETE ON projects "
        f"WHEN OLD.id = '{SENTINEL}' BEGIN "
        "SELECT RAISE(ABORT, 'the __unassigned__ project cannot be deleted'); END"
    )
    op.execute(
        "CREATE TRIGGER trg_projects_sentinel_no_rename BEFORE UPDATE ON projects "
        f"WHEN OLD.id = '{SENTINEL}' AND (NEW.id IS NOT OLD.id OR NEW.name IS NOT OLD.name) BEGIN "
        "SELECT RAISE(ABORT, 'the __unassigned__ project cannot be renamed'); END"
    )
    op.execute("CREATE VIRTUAL TABLE contexts_fts USING fts5(context_id UNINDEXED, content, tags)")
    op.execute(
        "CREATE TRIGGER trg_contexts_fts_insert AFTER INSERT ON contexts BEGIN "
        "INSERT INTO contexts_fts (context_id, content, tags) VALUES (NEW.id, NEW.content, NEW.tags); END"
    )
    op.execute(
        "CREATE TRIGGER trg_contexts_fts_delete AFTER DELETE ON contexts BEGIN "
        "DELETE FROM contexts_fts WHERE context_id = OLD.id; END"
    )
    op.execute(
        "CREATE TRIGGER trg_contexts_fts_update AFTER UPDATE OF content, tags ON contexts BEGIN "
        "UPDATE contexts_fts SET content = NEW.content, tags = NEW.tags WHERE context_id = NEW.id; END"
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_projects_protect_sentinel ON projects")
        op.execute("DROP TRIGGER IF EXISTS trg_sessions_project_not_null ON sessions")
        op.execute("DROP FUNCTION IF EXISTS aidis_protect_sentinel_project()")
        op.execute("DROP FUNCTION IF EXISTS aidis_sessions_project_not_null()")
    else:
        op.execute("DROP TABLE IF EXISTS contexts_fts")
    for table in (
        "analytics_events",
        "contexts",
        "session_project_changes",
        "sessions",
        "session_counters",
        "connections",
        "projects",
    ):
        op.drop_table(table)
