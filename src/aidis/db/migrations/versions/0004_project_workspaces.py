"""Projects know their workspaces: root directories and repository identities, each owned by at most
one project; session moves may now have the reasons `workspace` and `merge`.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aidis.db.types import UTCDateTime, UUIDType

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

REASONS_BEFORE = (
    "explicit_assign",
    "project_switch",
    "auto_assign",
    "bulk_assign",
    "project_deleted",
    "backfill",
    "backfill_revert",
)
REASONS_AFTER = (*REASONS_BEFORE, "workspace", "merge")


def _in(column: str, allowed: tuple[str, ...]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in allowed))


def _reasons(allowed: tuple[str, ...]) -> None:
    with op.batch_alter_table("session_project_changes") as batch:
        batch.drop_constraint("ck_session_project_changes_reason", type_="check")
        batch.create_check_constraint("ck_session_project_changes_reason", _in("reason", allowed))


def upgrade() -> None:
    op.create_table(
        "project_workspaces",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column(
            "project_id",
            UUIDType(),
            sa.ForeignKey(
                "projects.id", ondelete="CASCADE", name="fk_project_workspaces_project_id_projects"
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("identity", sa.String(1024), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(_in("kind", ("root", "repo")), name="ck_project_workspaces_kind"),
        sa.UniqueConstraint("kind", "identity", name="uq_project_workspaces_identity"),
    )
    op.create_index("ix_project_workspaces_project", "project_workspaces", ["project_id"])
    _reasons(REASONS_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM session_project_changes WHERE reason IN ('workspace', 'merge')")
    _reasons(REASONS_BEFORE)
    op.drop_index("ix_project_workspaces_project", table_name="project_workspaces")
    op.drop_table("project_workspaces")
