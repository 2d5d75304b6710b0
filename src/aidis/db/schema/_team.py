"""The tables of a team server: people, their tokens, project grants and the audit trail (no foreign
keys from the trail: it outlives the users and projects it names)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    false,
)

from aidis.db.schema._core import Json, metadata
from aidis.db.types import UTCDateTime, UUIDType

_ROLES = "('read', 'write', 'admin')"

users = Table(
    "users",
    metadata,
    Column("id", UUIDType(), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("email", String(320), nullable=True),
    Column("oidc_subject", String(255), nullable=True),  # the identity provider's `sub`, once signed in
    Column("is_admin", Boolean(), nullable=False, server_default=false()),  # server admin: every project
    Column("created_at", UTCDateTime(), nullable=False),
    Column("disabled_at", UTCDateTime(), nullable=True),
    UniqueConstraint("name", name="uq_users_name"),
    UniqueConstraint("oidc_subject", name="uq_users_oidc_subject"),
)

# A personal token is `aidis_pat_<public_id>_<secret>`; only the SHA-256 of the whole token is kept.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", UUIDType(), primary_key=True),
    Column("user_id", UUIDType(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("public_id", String(16), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("label", String(100), nullable=True),
    Column("role", String(8), nullable=False),  # the most this token may do, whatever the grants
    Column("projects", Json, nullable=True),  # the project ids it is limited to (None: the user's)
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("last_used_at", UTCDateTime(), nullable=True),
    UniqueConstraint("public_id", name="uq_api_tokens_public_id"),
    CheckConstraint(f"role IN {_ROLES}", name="role"),
)

project_grants = Table(
    "project_grants",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("project_id", UUIDType(), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", UUIDType(), ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("group_name", String(200), nullable=True),  # an identity-provider group instead of a person
    Column("role", String(8), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint(f"role IN {_ROLES}", name="role"),
    CheckConstraint("(user_id IS NULL) <> (group_name IS NULL)", name="one_grantee"),
    UniqueConstraint("project_id", "user_id", name="uq_project_grants_user"),
    UniqueConstraint("project_id", "group_name", name="uq_project_grants_group"),
)
Index("ix_project_grants_user", project_grants.c.user_id)

# Append-only (PostgreSQL: a trigger refuses UPDATE and DELETE but for `aidis prune --audit`).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("user_id", UUIDType(), nullable=True),  # no foreign keys: the trail outlives users and projects
    Column("user_name", String(64), nullable=True),
    Column("token_id", UUIDType(), nullable=True),
    Column("surface", String(8), nullable=False),
    Column("address", String(64), nullable=True),
    Column("action", String(64), nullable=False),  # the tool or route
    Column("kind", String(8), nullable=False),  # read or change
    Column("project_id", UUIDType(), nullable=True),
    Column("target_ids", Json, nullable=True),  # ids touched (bounded), never content
    Column("item_count", Integer(), nullable=False, server_default="0"),
    Column("outcome", String(16), nullable=False),
    CheckConstraint("kind IN ('read', 'change', 'denied')", name="kind"),
)
Index("ix_audit_log_occurred", audit_log.c.occurred_at)
Index("ix_audit_log_user", audit_log.c.user_id, audit_log.c.occurred_at)
Index("ix_audit_log_project", audit_log.c.project_id, audit_log.c.occurred_at)
