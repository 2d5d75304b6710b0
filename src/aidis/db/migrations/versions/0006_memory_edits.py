"""Memory people can trust: contexts get revisions, soft delete and purge, topic keys, duplicate
suppression (a content hash and a seen count), and SQLite's full-text index stems words like
PostgreSQL's does (FTS5 `porter`), indexing the content only on both engines.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aidis.db.types import UTCDateTime, UUIDType

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

EVENTS_BEFORE = (
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
EVENTS_AFTER = (
    *EVENTS_BEFORE,
    "context_seen",
    "context_updated",
    "context_deleted",
    "context_restored",
    "context_purged",
    "contexts_pruned",
    "events_pruned",
)
LIVE_KEY = "topic_key IS NOT NULL AND deleted_at IS NULL"


def _in(column: str, allowed: tuple[str, ...]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in allowed))


def _event_types(allowed: tuple[str, ...]) -> None:
    with op.batch_alter_table("analytics_events") as batch:
        batch.drop_constraint("ck_analytics_events_event_type", type_="check")
        batch.create_check_constraint("ck_analytics_events_event_type", _in("event_type", allowed))


def _sqlite_fts(tokenize: str, columns: str) -> None:
    """(Re)build the SQLite full-text index and the triggers that keep it in step with `contexts`."""
    for name in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS trg_contexts_fts_{name}")
    op.execute("DROP TABLE IF EXISTS contexts_fts")
    names = [c.strip() for c in columns.split(",")]
    op.execute(f"CREATE VIRTUAL TABLE contexts_fts USING fts5(context_id UNINDEXED, {columns}{tokenize})")
    values = ", ".join(f"NEW.{c}" for c in names)
    op.execute(
        f"INSERT INTO contexts_fts (context_id, {columns}) SELECT id, {', '.join(names)} FROM contexts"
    )
    op.execute(
        "CREATE TRIGGER trg_contexts_fts_insert AFTER INSERT ON contexts BEGIN "
        f"INSERT INTO contexts_fts (context_id, {columns}) VALUES (NEW.id, {values}); END"
    )
    op.execute(
        "CREATE TRIGGER trg_contexts_fts_delete AFTER DELETE ON contexts BEGIN "
        "DELETE FROM contexts_fts WHERE context_id = OLD.id; END"
    )
    sets = ", ".join(f"{c} = NEW.{c}" for c in names)
    op.execute(
        f"CREATE TRIGGER trg_contexts_fts_update AFTER UPDATE OF {columns} ON contexts BEGIN "
        f"UPDATE contexts_fts SET {sets} WHERE context_id = NEW.id; END"
    )


def upgrade() -> None:
    op.add_column("contexts", sa.Column("topic_key", sa.String(200), nullable=True))
    op.add_column("contexts", sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("contexts", sa.Column("updated_at", UTCDateTime(), nullable=True))
    op.add_column("contexts", sa.Column("deleted_at", UTCDateTime(), nullable=True))
    op.add_column("contexts", sa.Column("purged_at", UTCDateTime(), nullable=True))
    op.add_column("contexts", sa.Column("seen_count", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("contexts", sa.Column("last_seen_at", UTCDateTime(), nullable=True))
    op.add_column("contexts", sa.Column("content_hash", sa.String(64), nullable=True))
    op.create_index("ix_contexts_project_hash", "contexts", ["project_id", "content_hash"])
    op.create_index(
        "uq_contexts_project_topic_key",
        "contexts",
        ["project_id", "topic_key"],
        unique=True,
        sqlite_where=sa.text(LIVE_KEY),
        postgresql_where=sa.text(LIVE_KEY),
    )
    op.create_table(
        "context_revisions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column(
            "context_id",
            UUIDType(),
            sa.ForeignKey("contexts.id", ondelete="CASCADE", name="fk_context_revisions_context_id_contexts"),
            nullable=False,
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("context_type", sa.String(30), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column(
            "tags", sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("written_at", UTCDateTime(), nullable=False),
        sa.Column("replaced_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("context_id", "revision", name="uq_context_revisions_context_revision"),
    )
    _event_types(EVENTS_AFTER)
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_fts(", tokenize = 'porter unicode61 remove_diacritics 2'", "content")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_fts("", "content, tags")
    op.execute("DELETE FROM analytics_events WHERE " + _in("event_type", EVENTS_AFTER[len(EVENTS_BEFORE) :]))
    _event_types(EVENTS_BEFORE)
    op.drop_table("context_revisions")
    op.drop_index("uq_contexts_project_topic_key", table_name="contexts")
    op.drop_index("ix_contexts_project_hash", table_name="contexts")
    for column in (
        "content_hash",
        "last_seen_at",
        "seen_count",
        "purged_at",
        "deleted_at",
        "updated_at",
        "revision",
        "topic_key",
    ):
        op.drop_column("contexts", column)
