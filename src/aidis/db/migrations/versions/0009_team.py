"""A team server: people (`users`), their personal tokens (`api_tokens`, hashes only), project grants
for people and identity-provider groups, the owner of each session, and an append-only audit trail.
On PostgreSQL, row-level security backs the application's checks: a transaction acting for a person
runs as the `aidis_member` role, which sees only the projects that person may read.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from aidis.db.types import UTCDateTime, UUIDType

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ROLES = "('read', 'write', 'admin')"
MEMBER = "aidis_member"
SENTINEL = "'00000000-0000-0000-0000-000000000000'::uuid"
# What a transaction acting for a person knows (set by AIDIS with set_config(..., true)): who, and
# which projects they may read and change (comma-separated ids; a token's limits already applied).
FUNCTIONS = {
    "aidis_user() RETURNS uuid": "SELECT NULLIF(current_setting('aidis.user_id', true), '')::uuid",
    "aidis_readable(project uuid) RETURNS boolean": (
        "SELECT project = ANY (string_to_array(NULLIF(current_setting('aidis.readable', true), ''), ',')::uuid[])"
    ),
    "aidis_writable(project uuid) RETURNS boolean": (
        "SELECT project = ANY (string_to_array(NULLIF(current_setting('aidis.writable', true), ''), ',')::uuid[])"
    ),
    # Unassigned holds everyone's unattributed sessions: a person sees their own only
    "aidis_own_session(session uuid) RETURNS boolean": (
        "SELECT EXISTS (SELECT 1 FROM sessions s WHERE s.id = session AND s.user_id = aidis_user())"
    ),
}


def _scoped(column: str, session: str | None, check: str) -> str:
    own = f" OR ({column} = {SENTINEL} AND aidis_own_session({session}))" if session else ""
    return f"({check}({column}){own})"


# table → (who may read a row, who may write one), for the aidis_member role
POLICIES = {
    "projects": (f"(aidis_readable(id) OR id = {SENTINEL})", "aidis_writable(id)"),
    "sessions": (
        f"(aidis_readable(project_id) OR (project_id = {SENTINEL} AND user_id = aidis_user()))",
        f"(aidis_writable(project_id) OR (project_id = {SENTINEL} AND user_id = aidis_user()))",
    ),
    "contexts": (
        _scoped("project_id", "session_id", "aidis_readable"),
        _scoped("project_id", "session_id", "aidis_writable"),
    ),
    "analytics_events": (
        _scoped("project_id", "session_id", "aidis_readable"),
        _scoped("project_id", "session_id", "aidis_writable"),
    ),
    "context_vectors": (
        "EXISTS (SELECT 1 FROM contexts c WHERE c.id = context_id)",  # contexts' own policy decides
        "EXISTS (SELECT 1 FROM contexts c WHERE c.id = context_id)",
    ),
    "context_revisions": (
        "EXISTS (SELECT 1 FROM contexts c WHERE c.id = context_id)",
        "EXISTS (SELECT 1 FROM contexts c WHERE c.id = context_id)",
    ),
    "session_project_changes": (
        "EXISTS (SELECT 1 FROM sessions s WHERE s.id = session_id)",
        "EXISTS (SELECT 1 FROM sessions s WHERE s.id = session_id)",
    ),
    "session_activity": (
        "EXISTS (SELECT 1 FROM sessions s WHERE s.id = session_id)",
        "EXISTS (SELECT 1 FROM sessions s WHERE s.id = session_id)",
    ),
    "project_workspaces": ("aidis_readable(project_id)", "aidis_writable(project_id)"),
    "project_grants": ("(user_id = aidis_user() OR aidis_readable(project_id))", "false"),
    "users": ("id = aidis_user()", "false"),
    "api_tokens": ("user_id = aidis_user()", "user_id = aidis_user()"),
    "audit_log": ("user_id = aidis_user()", "user_id = aidis_user()"),  # one's own entries; admins read all
}


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", UUIDType(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("oidc_subject", sa.String(255), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("disabled_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("name", name="uq_users_name"),
        sa.UniqueConstraint("oidc_subject", name="uq_users_oidc_subject"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", UUIDType(), primary_key=True),
        sa.Column(
            "user_id",
            UUIDType(),
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_api_tokens_user_id_users"),
            nullable=False,
        ),
        sa.Column("public_id", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("label", sa.String(100), nullable=True),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("projects", _json(), nullable=True),  # project ids the token is limited to (None: all)
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("public_id", name="uq_api_tokens_public_id"),
        sa.CheckConstraint(f"role IN {ROLES}", name="ck_api_tokens_role"),
    )
    op.create_table(
        "project_grants",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column(
            "project_id",
            UUIDType(),
            sa.ForeignKey("projects.id", ondelete="CASCADE", name="fk_project_grants_project_id_projects"),
            nullable=False,
        ),
        sa.Column(
            "user_id",
            UUIDType(),
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_project_grants_user_id_users"),
            nullable=True,
        ),
        sa.Column("group_name", sa.String(200), nullable=True),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(f"role IN {ROLES}", name="ck_project_grants_role"),
        sa.CheckConstraint("(user_id IS NULL) <> (group_name IS NULL)", name="ck_project_grants_one_grantee"),
        sa.UniqueConstraint("project_id", "user_id", name="uq_project_grants_user"),
        sa.UniqueConstraint("project_id", "group_name", name="uq_project_grants_group"),
    )
    op.create_index("ix_project_grants_user", "project_grants", ["user_id"])
    op.create_table(
        "audit_log",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("user_id", UUIDType(), nullable=True),  # no foreign key: the trail outlives users
        sa.Column("user_name", sa.String(64), nullable=True),
        sa.Column("token_id", UUIDType(), nullable=True),
        sa.Column("surface", sa.String(8), nullable=False),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("project_id", UUIDType(), nullable=True),  # no foreign key: nor projects
        sa.Column("target_ids", _json(), nullable=True),
        sa.Column("item_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.CheckConstraint("kind IN ('read', 'change', 'denied')", name="ck_audit_log_kind"),
    )
    op.create_index("ix_audit_log_occurred", "audit_log", ["occurred_at"])
    op.create_index("ix_audit_log_user", "audit_log", ["user_id", "occurred_at"])
    op.create_index("ix_audit_log_project", "audit_log", ["project_id", "occurred_at"])
    # who a session belongs to (no foreign key: SQLite adds one only by rebuilding `sessions`, and a
    # user is disabled, never deleted)
    op.add_column("sessions", sa.Column("user_id", UUIDType(), nullable=True))
    op.create_index("ix_sessions_user", "sessions", ["user_id"])
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_audit_append_only()
        _postgresql_row_security()


def _postgresql_audit_append_only() -> None:
    op.execute(
        """
        CREATE FUNCTION aidis_audit_append_only() RETURNS trigger AS $$
        BEGIN
          IF TG_OP = 'DELETE' AND current_setting('aidis.audit_retention', true) = 'on' THEN
            RETURN OLD;  -- `aidis prune --audit`, and nothing else, lets old rows go
          END IF;
          RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = 'insufficient_privilege';
        END $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER trg_audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION aidis_audit_append_only()"
    )


def _may_create_roles() -> bool:
    row = (
        op.get_bind()
        .execute(sa.text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"))
        .scalar()
    )
    return bool(row)


def _postgresql_row_security() -> None:
    """Policies for the `aidis_member` role: a row of a project is visible when the transaction's
    readable set (`aidis.readable`, set by AIDIS for the person it acts for) holds its project, and
    writable when the writable set does; Unassigned rows only when they are that person's session's.
    Other roles (the owner the app connects as, migrations, background jobs, server admins) are not
    restricted: they act for nobody in particular."""
    if not _may_create_roles():
        return  # the application's checks alone; `aidis check` says row security is off
    op.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{MEMBER}') THEN "
        f"CREATE ROLE {MEMBER} NOLOGIN; END IF; END $$"
    )
    op.execute(f"GRANT {MEMBER} TO CURRENT_USER")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {MEMBER}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {MEMBER}")
    op.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {MEMBER}")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {MEMBER}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {MEMBER}"
    )
    for name, body in FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {name} AS $$ {body} $$ LANGUAGE sql STABLE")
    for table, (read, write) in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY aidis_read ON {table} FOR SELECT TO {MEMBER} USING ({read})")
        op.execute(f"CREATE POLICY aidis_insert ON {table} FOR INSERT TO {MEMBER} WITH CHECK ({write})")
        op.execute(
            f"CREATE POLICY aidis_update ON {table} FOR UPDATE TO {MEMBER} USING ({write}) WITH CHECK ({write})"
        )
        op.execute(f"CREATE POLICY aidis_delete ON {table} FOR DELETE TO {MEMBER} USING ({write})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in POLICIES:
            for policy in ("aidis_read", "aidis_insert", "aidis_update", "aidis_delete"):
                op.execute(f"DROP POLICY IF EXISTS {policy} ON {table}")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        for signature in FUNCTIONS:
            op.execute(
                f"DROP FUNCTION IF EXISTS {signature.split(' RETURNS')[0].replace('project ', '').replace('session ', '')}"
            )
        op.execute("DROP TRIGGER IF EXISTS trg_audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS aidis_audit_append_only()")
    op.drop_index("ix_sessions_user", table_name="sessions")
    op.drop_column("sessions", "user_id")
    op.drop_table("audit_log")
    op.drop_index("ix_project_grants_user", table_name="project_grants")
    op.drop_table("project_grants")
    op.drop_table("api_tokens")
    op.drop_table("users")
