"""Rollups of closed sessions per project and UTC day, kept by the database itself.

Statistics, the overview and project lists used to read every session row; at a million sessions that
is a second per page. `session_rollups` holds, per project and UTC day the session started, how many
closed sessions there are (by terminal status), their total duration, contexts, events and tokens.
Triggers on `sessions` keep it exact in the same statement as the change — a session closing, a closed
session moving to another project, a closed session's tokens or context count changing later, a row
deleted — so no code path can forget it (AIDIS writes sessions from services, the hook replayer,
imports and back-fills). Open sessions are few and are counted live beside it. On PostgreSQL the
trigger function runs as the table owner (row security never hides a rollup from its own upkeep), and
people acting through AIDIS may only read the rollups of projects they may read.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aidis.db.types import UUIDType

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

MEMBER = "aidis_member"
COUNTERS = (
    "sessions",
    "ended",
    "timed_out",
    "interrupted",
    "contexts",
    "events",
    "input_tokens",
    "output_tokens",
)


def _contribution(row: str, day: str, duration: str) -> dict[str, str]:
    """What one closed session adds to its project's day (`row` is NEW or OLD)."""
    return {
        "project_id": f"{row}.project_id",
        "day": day,
        "sessions": "1",
        "ended": f"CASE WHEN {row}.status = 'ended' THEN 1 ELSE 0 END",
        "timed_out": f"CASE WHEN {row}.status = 'timed_out' THEN 1 ELSE 0 END",
        "interrupted": f"CASE WHEN {row}.status = 'interrupted' THEN 1 ELSE 0 END",
        "duration_seconds": duration,
        "contexts": f"{row}.context_count",
        "events": f"{row}.event_count",
        "input_tokens": f"{row}.input_tokens",
        "output_tokens": f"{row}.output_tokens",
    }


def _add(row: str, day: str, duration: str, qualify: str) -> str:
    values = _contribution(row, day, duration)
    sums = ", ".join(f"{c} = {qualify}{c} + excluded.{c}" for c in [*COUNTERS, "duration_seconds"])
    return (
        f"INSERT INTO session_rollups ({', '.join(values)}) VALUES ({', '.join(values.values())}) "
        f"ON CONFLICT (project_id, day) DO UPDATE SET {sums}"
    )


def _subtract(row: str, day: str, duration: str) -> str:
    values = _contribution(row, day, duration)
    changes = ", ".join(f"{c} = {c} - ({values[c]})" for c in [*COUNTERS, "duration_seconds"])
    where = f"project_id = {row}.project_id AND day = {day}"
    return f"UPDATE session_rollups SET {changes} WHERE {where}; DELETE FROM session_rollups WHERE {where} AND sessions = 0"


def _sqlite_triggers() -> None:
    def day(row: str) -> str:
        return f"substr({row}.started_at, 1, 10)"

    def duration(row: str) -> str:
        return f"(julianday({row}.ended_at) - julianday({row}.started_at)) * 86400.0"

    add_new = _add("NEW", day("NEW"), duration("NEW"), "session_rollups.")
    op.execute(
        "CREATE TRIGGER trg_sessions_rollup_insert AFTER INSERT ON sessions "
        f"WHEN NEW.status <> 'active' BEGIN {add_new}; END"
    )
    op.execute(
        "CREATE TRIGGER trg_sessions_rollup_delete AFTER DELETE ON sessions "
        f"WHEN OLD.status <> 'active' BEGIN {_subtract('OLD', day('OLD'), duration('OLD'))}; END"
    )
    # an UPDATE takes the old row's share away (if it was closed) and adds the new row's (if it is)
    op.execute(
        "CREATE TRIGGER trg_sessions_rollup_update_old AFTER UPDATE ON sessions "
        f"WHEN OLD.status <> 'active' BEGIN {_subtract('OLD', day('OLD'), duration('OLD'))}; END"
    )
    op.execute(
        "CREATE TRIGGER trg_sessions_rollup_update_new AFTER UPDATE ON sessions "
        f"WHEN NEW.status <> 'active' BEGIN {add_new}; END"
    )


def _postgresql_grouped(rows: str) -> str:
    """Closed sessions of a transition table, summed per project and day."""
    return (
        "SELECT project_id, to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*) AS sessions, "
        "count(*) FILTER (WHERE status = 'ended') AS ended, "
        "count(*) FILTER (WHERE status = 'timed_out') AS timed_out, "
        "count(*) FILTER (WHERE status = 'interrupted') AS interrupted, "
        "sum(extract(epoch FROM ended_at - started_at))::double precision AS duration_seconds, "
        "sum(context_count) AS contexts, sum(event_count) AS events, "
        "sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens "
        f"FROM {rows} WHERE status <> 'active' GROUP BY 1, 2"
    )


def _postgresql_triggers() -> None:
    """Row triggers for INSERT and DELETE (a new session is open: its WHEN skips it for free), and one
    statement trigger with transition tables for UPDATE, so a job moving 100,000 closed sessions (a
    back-fill, a project deleted) adjusts each project-day once instead of once per session; an update
    of open sessions only (every tool call) leaves after two look-ups in its one-row transition tables."""

    def day(row: str) -> str:
        return f"to_char({row}.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"

    def duration(row: str) -> str:
        return f"extract(epoch FROM {row}.ended_at - {row}.started_at)::double precision"

    op.execute(
        f"""
        CREATE FUNCTION aidis_session_rollup() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            {_subtract("OLD", day("OLD"), duration("OLD"))};
          ELSE
            {_add("NEW", day("NEW"), duration("NEW"), "session_rollups.")};
          END IF;
          RETURN NULL;
        END $$
        """
    )
    sums = ", ".join(f"{c} = r.{c} - g.{c}" for c in [*COUNTERS, "duration_seconds"])
    adds = ", ".join(f"{c} = session_rollups.{c} + excluded.{c}" for c in [*COUNTERS, "duration_seconds"])
    columns = ", ".join(("project_id", "day", *COUNTERS, "duration_seconds"))
    op.execute(
        f"""
        CREATE FUNCTION aidis_session_rollup_update() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          IF NOT EXISTS (SELECT 1 FROM old_rows WHERE status <> 'active')
             AND NOT EXISTS (SELECT 1 FROM new_rows WHERE status <> 'active') THEN
            RETURN NULL;
          END IF;
          UPDATE session_rollups r SET {sums}
          FROM ({_postgresql_grouped("old_rows")}) g
          WHERE r.project_id = g.project_id AND r.day = g.day;
          INSERT INTO session_rollups ({columns})
          SELECT {columns} FROM ({_postgresql_grouped("new_rows")}) g
          ON CONFLICT (project_id, day) DO UPDATE SET {adds};
          DELETE FROM session_rollups r USING ({_postgresql_grouped("old_rows")}) g
          WHERE r.project_id = g.project_id AND r.day = g.day AND r.sessions = 0;
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER trg_sessions_rollup_insert AFTER INSERT ON sessions FOR EACH ROW "
        "WHEN (NEW.status <> 'active') EXECUTE FUNCTION aidis_session_rollup()"
    )
    op.execute(
        "CREATE TRIGGER trg_sessions_rollup_delete AFTER DELETE ON sessions FOR EACH ROW "
        "WHEN (OLD.status <> 'active') EXECUTE FUNCTION aidis_session_rollup()"
    )
    op.execute(
        "CREATE TRIGGER trg_sessions_rollup_update AFTER UPDATE ON sessions "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION aidis_session_rollup_update()"
    )
    has_member = (
        op.get_bind().execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": MEMBER}).first()
    )
    if has_member:
        op.execute(f"GRANT SELECT ON session_rollups TO {MEMBER}")
        op.execute("ALTER TABLE session_rollups ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY aidis_read ON session_rollups FOR SELECT TO {MEMBER} USING (aidis_readable(project_id))"
        )


REBUILD_SQLITE = """
INSERT INTO session_rollups (project_id, day, sessions, ended, timed_out, interrupted, duration_seconds,
                             contexts, events, input_tokens, output_tokens)
SELECT project_id, substr(started_at, 1, 10), count(*),
       sum(status = 'ended'), sum(status = 'timed_out'), sum(status = 'interrupted'),
       sum((julianday(ended_at) - julianday(started_at)) * 86400.0),
       sum(context_count), sum(event_count), sum(input_tokens), sum(output_tokens)
FROM sessions WHERE status <> 'active' GROUP BY 1, 2
"""

REBUILD_POSTGRESQL = """
INSERT INTO session_rollups (project_id, day, sessions, ended, timed_out, interrupted, duration_seconds,
                             contexts, events, input_tokens, output_tokens)
SELECT project_id, to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), count(*),
       count(*) FILTER (WHERE status = 'ended'), count(*) FILTER (WHERE status = 'timed_out'),
       count(*) FILTER (WHERE status = 'interrupted'),
       sum(extract(epoch FROM ended_at - started_at))::double precision,
       sum(context_count), sum(event_count), sum(input_tokens), sum(output_tokens)
FROM sessions WHERE status <> 'active' GROUP BY 1, 2
"""


def upgrade() -> None:
    op.create_table(
        "session_rollups",
        sa.Column("project_id", UUIDType(), nullable=False),  # no foreign key: kept by triggers alone
        sa.Column("day", sa.String(10), nullable=False),  # the UTC day the sessions started, YYYY-MM-DD
        *(sa.Column(c, sa.BigInteger(), nullable=False, server_default="0") for c in COUNTERS),
        sa.Column("duration_seconds", sa.Float(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("project_id", "day", name="pk_session_rollups"),
    )
    op.create_index("ix_session_rollups_day", "session_rollups", ["day"])
    open_only = sa.text("status = 'active'")  # the open sessions, counted live beside the rollups
    op.create_index(
        "ix_sessions_open_project",
        "sessions",
        ["project_id", "started_at"],
        sqlite_where=open_only,
        postgresql_where=open_only,
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.execute(REBUILD_POSTGRESQL if postgresql else REBUILD_SQLITE)
    if postgresql:
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_sessions_rollup_{name} ON sessions")
        op.execute("DROP FUNCTION IF EXISTS aidis_session_rollup()")
        op.execute("DROP FUNCTION IF EXISTS aidis_session_rollup_update()")
    else:
        for name in ("insert", "delete", "update_old", "update_new"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_sessions_rollup_{name}")
    op.drop_index("ix_sessions_open_project", table_name="sessions")
    op.drop_index("ix_session_rollups_day", table_name="session_rollups")
    op.drop_table("session_rollups")
