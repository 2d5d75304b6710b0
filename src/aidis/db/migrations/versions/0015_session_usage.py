"""Tokens by session, UTC hour and model (`session_usage`): what usage and cost are computed from.

The transcript readers already count every model's tokens exactly, once per response; until now only
each session's totals were kept. Cost needs more: prices differ by model and change over time, and a
day is a day in the user's time zone. Each count is now also added to its session's row for the UTC
hour its response was written in and its model (input not cached, output, cache writes, cache reads).
Also an index of sessions by connection and start: every agent session start, and each session a
history import looks at, asks for a connection's latest session, which was a scan of every session.
On PostgreSQL the rows follow their session's row security (a person reads the usage of sessions they
may see, writes it only where they may write), like the activity rows.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa
from alembic import op

from aidis.db.types import UTCDateTime, UUIDType

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

KINDS = {  # the transcript readers' names → columns
    "input": "input_tokens",
    "output": "output_tokens",
    "cache_creation": "cache_write_tokens",
    "cache_read": "cache_read_tokens",
    "cache_creation_1h": "cache_write_1h_tokens",
}
MEMBER = "aidis_member"
SERVER = "aidis_server"
SENTINEL = "'00000000-0000-0000-0000-000000000000'::uuid"
VISIBLE = "EXISTS (SELECT 1 FROM sessions s WHERE s.id = session_id)"
WRITABLE = (
    "EXISTS (SELECT 1 FROM sessions s WHERE s.id = session_id AND (aidis_writable(s.project_id) "
    f"OR (s.project_id = {SENTINEL} AND s.user_id = aidis_user())))"
)


def upgrade() -> None:
    op.create_table(
        "session_usage",
        sa.Column(
            "session_id",
            UUIDType(),
            sa.ForeignKey("sessions.id", ondelete="CASCADE", name="fk_session_usage_session_id_sessions"),
            nullable=False,
        ),
        sa.Column("hour", UTCDateTime(), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("cache_write_tokens", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("cache_read_tokens", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("cache_write_1h_tokens", sa.BigInteger(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("session_id", "hour", "model", name="pk_session_usage"),
    )
    op.create_index("ix_session_usage_hour", "session_usage", ["hour"])
    op.create_index("ix_sessions_connection_started", "sessions", ["connection_id", "started_at"])
    _from_stored_transcripts()
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or not _role_exists(MEMBER):
        return
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON session_usage TO {MEMBER}")
    op.execute("ALTER TABLE session_usage ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY aidis_read ON session_usage FOR SELECT TO {MEMBER} USING ({VISIBLE})")
    op.execute(f"CREATE POLICY aidis_insert ON session_usage FOR INSERT TO {MEMBER} WITH CHECK ({WRITABLE})")
    op.execute(
        f"CREATE POLICY aidis_update ON session_usage FOR UPDATE TO {MEMBER} USING ({WRITABLE}) WITH CHECK ({WRITABLE})"
    )
    op.execute(f"CREATE POLICY aidis_delete ON session_usage FOR DELETE TO {MEMBER} USING ({WRITABLE})")
    if _role_exists(SERVER):
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON session_usage TO {SERVER}")
        op.execute(
            f"CREATE POLICY aidis_server ON session_usage FOR ALL TO {SERVER} "
            "USING (aidis_user() IS NULL) WITH CHECK (aidis_user() IS NULL)"
        )


def _from_stored_transcripts() -> None:
    """Sessions whose tokens already came from a transcript keep its per-model totals in their metadata:
    their usage rows are those totals, in the hour the session started (the hours were not kept)."""
    bind = op.get_bind()
    exact = (
        "metadata->>'tokens' = 'exact'"
        if bind.dialect.name == "postgresql"
        else "json_extract(metadata, '$.tokens') = 'exact'"
    )
    found = bind.execute(sa.text(f"SELECT id, started_at, metadata FROM sessions WHERE {exact}"))
    table = sa.table(
        "session_usage",
        sa.column("session_id", UUIDType()),
        sa.column("hour", UTCDateTime()),
        sa.column("model", sa.String()),
        *(sa.column(k, sa.BigInteger()) for k in KINDS.values()),
    )
    batch: list[dict[str, object]] = []
    for session_id, started_at, metadata in found.all():
        stored = json.loads(metadata) if isinstance(metadata, str) else metadata
        transcript = stored.get("transcript") if isinstance(stored, dict) else None
        models = transcript.get("models") if isinstance(transcript, dict) else None
        if not isinstance(models, dict):
            continue
        started = UTCDateTime().process_result_value(started_at, bind.dialect)
        assert started is not None
        hour = started.replace(minute=0, second=0, microsecond=0)
        for model, counts in models.items():
            if not isinstance(counts, dict):
                continue
            row = {k: int(counts.get(name, 0) or 0) for name, k in KINDS.items()}
            if any(row.values()):
                batch.append(
                    {"session_id": _uuid(session_id), "hour": hour, "model": str(model)[:200], **row}
                )
    if batch:
        op.bulk_insert(table, batch)


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _role_exists(name: str) -> bool:
    return (
        op.get_bind().execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": name}).first()
        is not None
    )


def downgrade() -> None:
    op.drop_index("ix_sessions_connection_started", table_name="sessions")
    op.drop_index("ix_session_usage_hour", table_name="session_usage")
    op.drop_table("session_usage")
