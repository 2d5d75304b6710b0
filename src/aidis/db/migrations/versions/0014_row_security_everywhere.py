"""Row security on every table that holds a person's data, audit pruning behind a function, and a server
role that is neither superuser nor owner.

What a member transaction could still do (found by trying): read every person's connections and agent
session ids (`connections`, `hook_events`, `connection_links` had no row security), the display-id
counter (`session_counters`), delete a read-only project's context revisions, vectors, activity and
change rows (their write policies asked only whether the parent row was *visible*), and delete its own
audit rows by setting `aidis.audit_retention` itself. Now:

- `hook_events` records whose event it was (`user_id`); a member sees and writes only their own, and
  `connections` / `connection_links` only ids in their own namespace (`u:<user>/…`, which every
  connection of a person's carries); `session_counters` is nobody's (a team server's display ids are
  opaque, so members never count).
- A child row (revision, vector, activity, change) may be written only where its parent may be.
- `audit_log` cannot be updated or deleted by the member role at all, and the append-only trigger lets a
  row go only inside `aidis_prune_audit(before)`, a SECURITY DEFINER function owned by the table's
  owner, which the member role may not execute: setting `aidis.audit_retention` gains nothing.
- `aidis_server` (NOLOGIN) is the group of the login role AIDIS should run as (`aidis db runtime-role`
  makes one: not superuser, not owner, no BYPASSRLS). Its policies let it see every row only while it
  acts for nobody in particular (`aidis.user_id` unset) — so `RESET ROLE` inside a member transaction
  gives back nothing the member did not have.

SQLite: the `hook_events.user_id` column only.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aidis.db.types import UUIDType

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

MEMBER = "aidis_member"
SERVER = "aidis_server"
SENTINEL = "'00000000-0000-0000-0000-000000000000'::uuid"
OWN_CONNECTION = "({column} LIKE 'u:' || aidis_user()::text || '/%')"
WRITABLE_SESSION = (
    "EXISTS (SELECT 1 FROM sessions s WHERE s.id = {column} AND (aidis_writable(s.project_id) "
    f"OR (s.project_id = {SENTINEL} AND s.user_id = aidis_user())))"
)
WRITABLE_CONTEXT = (
    "EXISTS (SELECT 1 FROM contexts c WHERE c.id = context_id AND (aidis_writable(c.project_id) "
    f"OR (c.project_id = {SENTINEL} AND aidis_own_session(c.session_id))))"
)
# table → (read, write) for the member role, where new or corrected
MEMBER_POLICIES = {
    "connections": (OWN_CONNECTION.format(column="id"), OWN_CONNECTION.format(column="id")),
    "connection_links": (
        OWN_CONNECTION.format(column="connection_id"),
        f"{OWN_CONNECTION.format(column='connection_id')} AND {OWN_CONNECTION.format(column='successor_id')}",
    ),
    "hook_events": ("user_id = aidis_user()", "user_id = aidis_user()"),
    "context_vectors": ("EXISTS (SELECT 1 FROM contexts c WHERE c.id = context_id)", WRITABLE_CONTEXT),
    "context_revisions": ("EXISTS (SELECT 1 FROM contexts c WHERE c.id = context_id)", WRITABLE_CONTEXT),
    "session_project_changes": (
        "EXISTS (SELECT 1 FROM sessions s WHERE s.id = session_id)",
        WRITABLE_SESSION.format(column="session_id"),
    ),
    "session_activity": (
        "EXISTS (SELECT 1 FROM sessions s WHERE s.id = session_id)",
        WRITABLE_SESSION.format(column="session_id"),
    ),
}
NOBODYS = ("session_counters",)  # row security on, no policy: the member role reaches no row
ACTS_FOR_NOBODY = "(aidis_user() IS NULL)"

PRUNE = """
CREATE OR REPLACE FUNCTION aidis_prune_audit(before timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE gone bigint;
BEGIN
  PERFORM set_config('aidis.audit_retention', 'on', true);
  DELETE FROM audit_log WHERE occurred_at < before;
  GET DIAGNOSTICS gone = ROW_COUNT;
  PERFORM set_config('aidis.audit_retention', 'off', true);
  RETURN gone;
END $$
"""
APPEND_ONLY = """
CREATE OR REPLACE FUNCTION aidis_audit_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('aidis.audit_retention', true) = 'on'
     AND current_user = (SELECT tableowner FROM pg_tables WHERE tablename = 'audit_log'
                         AND schemaname = current_schema()) THEN
    RETURN OLD;  -- inside aidis_prune_audit (runs as the owner), and nowhere else
  END IF;
  RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = 'insufficient_privilege';
END $$ LANGUAGE plpgsql
"""
APPEND_ONLY_BEFORE = """
CREATE OR REPLACE FUNCTION aidis_audit_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('aidis.audit_retention', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = 'insufficient_privilege';
END $$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.add_column("hook_events", sa.Column("user_id", UUIDType(), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(APPEND_ONLY)
    op.execute(PRUNE)
    op.execute("REVOKE ALL ON FUNCTION aidis_prune_audit(timestamptz) FROM PUBLIC")
    if not _role_exists(MEMBER):
        return  # no row security here (0009 could not make the role): the services' checks stand alone
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {MEMBER}")
    for table, (read, write) in MEMBER_POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for policy in ("aidis_read", "aidis_insert", "aidis_update", "aidis_delete"):
            op.execute(f"DROP POLICY IF EXISTS {policy} ON {table}")
        op.execute(f"CREATE POLICY aidis_read ON {table} FOR SELECT TO {MEMBER} USING ({read})")
        op.execute(f"CREATE POLICY aidis_insert ON {table} FOR INSERT TO {MEMBER} WITH CHECK ({write})")
        op.execute(
            f"CREATE POLICY aidis_update ON {table} FOR UPDATE TO {MEMBER} USING ({write}) WITH CHECK ({write})"
        )
        if table != "hook_events":  # the ledger is never deleted from by a person
            op.execute(f"CREATE POLICY aidis_delete ON {table} FOR DELETE TO {MEMBER} USING ({write})")
    for table in NOBODYS:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    _server_role()


def _server_role() -> None:
    """The group of the login role AIDIS runs as: every table's rows while acting for nobody, nothing
    more than the member while acting for a person."""
    op.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{SERVER}') THEN "
        f"CREATE ROLE {SERVER} NOLOGIN; END IF; END $$"
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {SERVER}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {SERVER}")
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {SERVER}")
    op.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {SERVER}")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {SERVER}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {SERVER}"
    )
    op.execute(f"GRANT EXECUTE ON FUNCTION aidis_prune_audit(timestamptz) TO {SERVER}")
    op.execute(f"GRANT {MEMBER} TO {SERVER}")
    for table in _secured_tables():
        op.execute(f"DROP POLICY IF EXISTS aidis_server ON {table}")
        op.execute(
            f"CREATE POLICY aidis_server ON {table} FOR ALL TO {SERVER} "
            f"USING {ACTS_FOR_NOBODY} WITH CHECK {ACTS_FOR_NOBODY}"
        )


def _secured_tables() -> list[str]:
    rows = op.get_bind().execute(
        sa.text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relrowsecurity AND c.relkind = 'r' AND n.nspname = current_schema() ORDER BY 1"
        )
    )
    return [str(r[0]) for r in rows]


def _role_exists(name: str) -> bool:
    return (
        op.get_bind().execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": name}).first()
        is not None
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in _secured_tables():
            op.execute(f"DROP POLICY IF EXISTS aidis_server ON {table}")
        if _role_exists(MEMBER):
            for table in ("connections", "connection_links", "hook_events", *NOBODYS):
                for policy in ("aidis_read", "aidis_insert", "aidis_update", "aidis_delete"):
                    op.execute(f"DROP POLICY IF EXISTS {policy} ON {table}")
                op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
            for table in (
                "context_vectors",
                "context_revisions",
                "session_project_changes",
                "session_activity",
            ):
                parent = (
                    "contexts c WHERE c.id = context_id"
                    if "context" in table
                    else "sessions s WHERE s.id = session_id"
                )
                visible = f"EXISTS (SELECT 1 FROM {parent})"
                for policy in ("aidis_insert", "aidis_update", "aidis_delete"):
                    op.execute(f"DROP POLICY IF EXISTS {policy} ON {table}")
                op.execute(
                    f"CREATE POLICY aidis_insert ON {table} FOR INSERT TO {MEMBER} WITH CHECK ({visible})"
                )
                op.execute(
                    f"CREATE POLICY aidis_update ON {table} FOR UPDATE TO {MEMBER} USING ({visible}) WITH CHECK ({visible})"
                )
                op.execute(f"CREATE POLICY aidis_delete ON {table} FOR DELETE TO {MEMBER} USING ({visible})")
            op.execute(f"GRANT UPDATE, DELETE ON audit_log TO {MEMBER}")
        op.execute("DROP FUNCTION IF EXISTS aidis_prune_audit(timestamptz)")
        op.execute(APPEND_ONLY_BEFORE)
    with op.batch_alter_table("hook_events") as batch:
        batch.drop_column("user_id")
