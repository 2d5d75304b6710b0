"""Each session's project evidence, counted as its events are written.

`aidis backfill` gives an Unassigned session the project its own evidence names; the evidence that
scales is the legacy project each imported event carries in `payload.legacy_project_id`. Counting it
meant reading and parsing every event of every Unassigned session — ten million JSON documents at a
million sessions, most of a run that took two minutes. `session_evidence` holds, per session and
named project, how many of its events name that project; triggers on `analytics_events` keep it in
the same statement as each insert or delete (an event without the field costs a test of one JSON
key), so the legacy import, the bulk loader, an exchange import and retention can none of them
forget it, and a backfill reads one row per session and project. The key is kept as the event wrote
it (text): a malformed one can never fail an event's insert, and simply names no project.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aidis.db.types import UUIDType

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

SQLITE_KEY = "json_extract({row}.payload, '$.legacy_project_id')"
SQLITE_HAS_KEY = (
    "{row}.session_id IS NOT NULL AND json_valid({row}.payload) "
    "AND json_type({row}.payload, '$.legacy_project_id') = 'text'"
)
POSTGRESQL_KEY = "{row}.payload->>'legacy_project_id'"
POSTGRESQL_HAS_KEY = (
    "{row}.session_id IS NOT NULL AND jsonb_typeof({row}.payload->'legacy_project_id') = 'string'"
)

REBUILD = {
    "sqlite": (
        "INSERT INTO session_evidence (session_id, project_key, events) "
        f"SELECT e.session_id, {SQLITE_KEY.format(row='e')}, count(*) FROM analytics_events e "
        f"WHERE {SQLITE_HAS_KEY.format(row='e')} GROUP BY 1, 2"
    ),
    "postgresql": (
        "INSERT INTO session_evidence (session_id, project_key, events) "
        f"SELECT e.session_id, {POSTGRESQL_KEY.format(row='e')}, count(*) FROM analytics_events e "
        f"WHERE {POSTGRESQL_HAS_KEY.format(row='e')} GROUP BY 1, 2"
    ),
}


def _sqlite_triggers() -> None:
    new_key, old_key = SQLITE_KEY.format(row="NEW"), SQLITE_KEY.format(row="OLD")
    op.execute(
        "CREATE TRIGGER trg_events_evidence_insert AFTER INSERT ON analytics_events "
        f"WHEN {SQLITE_HAS_KEY.format(row='NEW')} BEGIN "
        f"INSERT INTO session_evidence (session_id, project_key, events) VALUES (NEW.session_id, {new_key}, 1) "
        "ON CONFLICT (session_id, project_key) DO UPDATE SET events = events + 1; END"
    )
    where = f"session_id = OLD.session_id AND project_key = {old_key}"
    op.execute(
        "CREATE TRIGGER trg_events_evidence_delete AFTER DELETE ON analytics_events "
        f"WHEN {SQLITE_HAS_KEY.format(row='OLD')} BEGIN "
        f"UPDATE session_evidence SET events = events - 1 WHERE {where}; "
        f"DELETE FROM session_evidence WHERE {where} AND events <= 0; END"
    )


def _postgresql_triggers() -> None:
    """Row triggers whose WHEN is tested in the executor: an event without the field never calls the
    function (every tool call writes an event; only imported ones carry a legacy project)."""
    new_key, old_key = POSTGRESQL_KEY.format(row="NEW"), POSTGRESQL_KEY.format(row="OLD")
    where = f"session_id = OLD.session_id AND project_key = {old_key}"
    op.execute(
        f"""
        CREATE FUNCTION aidis_session_evidence() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            INSERT INTO session_evidence (session_id, project_key, events) VALUES (NEW.session_id, {new_key}, 1)
            ON CONFLICT (session_id, project_key) DO UPDATE SET events = session_evidence.events + 1;
          ELSE
            UPDATE session_evidence SET events = events - 1 WHERE {where};
            DELETE FROM session_evidence WHERE {where} AND events <= 0;
          END IF;
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER trg_events_evidence_insert AFTER INSERT ON analytics_events FOR EACH ROW "
        f"WHEN ({POSTGRESQL_HAS_KEY.format(row='NEW')}) EXECUTE FUNCTION aidis_session_evidence()"
    )
    op.execute(
        "CREATE TRIGGER trg_events_evidence_delete AFTER DELETE ON analytics_events FOR EACH ROW "
        f"WHEN ({POSTGRESQL_HAS_KEY.format(row='OLD')}) EXECUTE FUNCTION aidis_session_evidence()"
    )
    op.execute("ALTER TABLE session_evidence ENABLE ROW LEVEL SECURITY")  # no policy: people never read it


def upgrade() -> None:
    op.create_table(
        "session_evidence",
        sa.Column("session_id", UUIDType(), nullable=False),
        sa.Column("project_key", sa.String(64), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "project_key", name="pk_session_evidence"),
    )
    dialect = op.get_bind().dialect.name
    op.execute(REBUILD[dialect])
    if dialect == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in ("insert", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_events_evidence_{name} ON analytics_events")
        op.execute("DROP FUNCTION IF EXISTS aidis_session_evidence()")
    else:
        for name in ("insert", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_events_evidence_{name}")
    op.drop_table("session_evidence")
