"""Usage rollups: tokens per UTC hour, project, agent, model and owner, kept by the database itself.

Usage reports grouped `session_usage` rows on every request: at a million sessions, several million
rows a page. `usage_rollups` holds the same sums without the session: per UTC hour (days are still cut
in any whole-hour time zone), project, agent, model and owner (the session's person, or the zero id),
every kind of token. Triggers keep it exact in the statement that changes its sources — usage added or
corrected (`session_usage`), and a session moved to another project or person or agent (`sessions`) —
so no code path can forget it (hooks, imports, moves, merges, back-fills). `aidis check` compares it
with a recount (`usage_rollup_mismatch`) and `check --fix` rebuilds it. On PostgreSQL the trigger
functions run as the owner and people read the rollups of projects they may read (and their own
Unassigned ones).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aidis.db.types import UTCDateTime, UUIDType

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

MEMBER = "aidis_member"
SERVER = "aidis_server"
KINDS = ("input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens", "cache_write_1h_tokens")
ZERO = "00000000-0000-0000-0000-000000000000"
KEY = ("hour", "project_id", "agent", "model", "owner")


def _upsert(select: str, qualify: str = "usage_rollups.") -> str:
    """Add the rows `select` yields (key columns, then KINDS) to the rollups."""
    sums = ", ".join(f"{k} = {qualify}{k} + excluded.{k}" for k in KINDS)
    return (
        f"INSERT INTO usage_rollups ({', '.join((*KEY, *KINDS))}) {select} "
        f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {sums}"
    )


def _sqlite(sign_of: dict[str, str], row: str, owner: str) -> str:
    """A SELECT of one session_usage row's contribution (sign per kind) with its session's key."""
    kinds = ", ".join(f"{sign_of[k]}{row}.{k}" for k in KINDS)
    return (
        f"SELECT {row}.hour, s.project_id, s.agent_type, {row}.model, {owner}, {kinds} "
        f"FROM sessions s WHERE s.id = {row}.session_id"
    )


def upgrade() -> None:
    op.create_table(
        "usage_rollups",
        sa.Column("hour", UTCDateTime(), nullable=False),
        sa.Column("project_id", UUIDType(), nullable=False),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("owner", UUIDType(), nullable=False),
        *(sa.Column(k, sa.BigInteger(), nullable=False, server_default="0") for k in KINDS),
        sa.PrimaryKeyConstraint(*KEY, name="pk_usage_rollups"),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite_triggers()
    op.execute(REBUILD)


REBUILD = (
    "INSERT INTO usage_rollups (hour, project_id, agent, model, owner, "
    + ", ".join(KINDS)
    + ") SELECT u.hour, s.project_id, s.agent_type, u.model, "
    + f"COALESCE(s.user_id, '{ZERO}'), "
    + ", ".join(f"sum(u.{k})" for k in KINDS)
    + " FROM session_usage u JOIN sessions s ON s.id = u.session_id GROUP BY 1, 2, 3, 4, 5"
)


def _sqlite_triggers() -> None:
    plus = dict.fromkeys(KINDS, "")
    minus = dict.fromkeys(KINDS, "-")
    owner = f"COALESCE(s.user_id, '{ZERO}')"
    op.execute(
        "CREATE TRIGGER trg_usage_rollup_insert AFTER INSERT ON session_usage BEGIN "
        f"{_upsert(_sqlite(plus, 'NEW', owner) + ' AND true')}; END"
    )
    delta = ", ".join(f"NEW.{k} - OLD.{k}" for k in KINDS)
    op.execute(
        "CREATE TRIGGER trg_usage_rollup_update AFTER UPDATE ON session_usage BEGIN "
        + _upsert(
            f"SELECT NEW.hour, s.project_id, s.agent_type, NEW.model, {owner}, {delta} "
            "FROM sessions s WHERE s.id = NEW.session_id AND true"
        )
        + "; END"
    )
    op.execute(
        "CREATE TRIGGER trg_usage_rollup_delete AFTER DELETE ON session_usage BEGIN "
        f"{_upsert(_sqlite(minus, 'OLD', owner) + ' AND true')}; END"
    )
    # a session moved (project, person or agent): its usage leaves the old key and joins the new one
    moved = "OLD.project_id IS NOT NEW.project_id OR OLD.user_id IS NOT NEW.user_id OR OLD.agent_type IS NOT NEW.agent_type"
    kinds_minus = ", ".join(f"-u.{k}" for k in KINDS)
    kinds_plus = ", ".join(f"u.{k}" for k in KINDS)
    op.execute(
        "CREATE TRIGGER trg_usage_rollup_session_moved AFTER UPDATE OF project_id, user_id, agent_type ON sessions "
        f"WHEN {moved} BEGIN "
        + _upsert(
            f"SELECT u.hour, OLD.project_id, OLD.agent_type, u.model, COALESCE(OLD.user_id, '{ZERO}'), {kinds_minus} "
            "FROM session_usage u WHERE u.session_id = OLD.id AND true"
        )
        + "; "
        + _upsert(
            f"SELECT u.hour, NEW.project_id, NEW.agent_type, u.model, COALESCE(NEW.user_id, '{ZERO}'), {kinds_plus} "
            "FROM session_usage u WHERE u.session_id = NEW.id AND true"
        )
        + "; END"
    )


def _postgresql() -> None:
    owner = f"COALESCE(s.user_id, '{ZERO}'::uuid)"
    delta = ", ".join(f"NEW.{k} - OLD.{k}" for k in KINDS)
    plus = ", ".join(f"NEW.{k}" for k in KINDS)
    minus = ", ".join(f"-OLD.{k}" for k in KINDS)
    op.execute(
        f"""
        CREATE FUNCTION aidis_usage_rollup() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            {_upsert(f"SELECT NEW.hour, s.project_id, s.agent_type, NEW.model, {owner}, {plus} FROM sessions s WHERE s.id = NEW.session_id")};
          ELSIF TG_OP = 'UPDATE' THEN
            {_upsert(f"SELECT NEW.hour, s.project_id, s.agent_type, NEW.model, {owner}, {delta} FROM sessions s WHERE s.id = NEW.session_id")};
          ELSE
            {_upsert(f"SELECT OLD.hour, s.project_id, s.agent_type, OLD.model, {owner}, {minus} FROM sessions s WHERE s.id = OLD.session_id")};
          END IF;
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER trg_usage_rollup AFTER INSERT OR UPDATE OR DELETE ON session_usage "
        "FOR EACH ROW EXECUTE FUNCTION aidis_usage_rollup()"
    )
    kinds_minus = ", ".join(f"-u.{k}" for k in KINDS)
    kinds_plus = ", ".join(f"u.{k}" for k in KINDS)
    changed = (
        "o.project_id IS DISTINCT FROM n.project_id OR o.user_id IS DISTINCT FROM n.user_id "
        "OR o.agent_type IS DISTINCT FROM n.agent_type"
    )
    op.execute(
        f"""
        CREATE FUNCTION aidis_usage_rollup_moved() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          IF NOT EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {changed}) THEN
            RETURN NULL;
          END IF;
          {_upsert(f"SELECT u.hour, o.project_id, o.agent_type, u.model, COALESCE(o.user_id, '{ZERO}'::uuid), {kinds_minus} FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN session_usage u ON u.session_id = o.id WHERE {changed}")};
          {_upsert(f"SELECT u.hour, n.project_id, n.agent_type, u.model, COALESCE(n.user_id, '{ZERO}'::uuid), {kinds_plus} FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN session_usage u ON u.session_id = n.id WHERE {changed}")};
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER trg_usage_rollup_session_moved AFTER UPDATE ON sessions "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION aidis_usage_rollup_moved()"
    )
    if op.get_bind().execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": MEMBER}).first():
        op.execute(f"GRANT SELECT ON usage_rollups TO {MEMBER}")
        op.execute("ALTER TABLE usage_rollups ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY aidis_read ON usage_rollups FOR SELECT TO {MEMBER} USING "
            f"(aidis_readable(project_id) OR (project_id = '{ZERO}'::uuid AND owner = aidis_user()))"
        )
    if op.get_bind().execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": SERVER}).first():
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON usage_rollups TO {SERVER}")
        op.execute(
            f"CREATE POLICY aidis_server ON usage_rollups FOR ALL TO {SERVER} "
            "USING (aidis_user() IS NULL) WITH CHECK (aidis_user() IS NULL)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_usage_rollup_session_moved ON sessions")
        op.execute("DROP TRIGGER IF EXISTS trg_usage_rollup ON session_usage")
        op.execute("DROP FUNCTION IF EXISTS aidis_usage_rollup_moved()")
        op.execute("DROP FUNCTION IF EXISTS aidis_usage_rollup()")
    else:
        for name in ("insert", "update", "delete", "session_moved"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_usage_rollup_{name}")
    op.drop_table("usage_rollups")
