"""What prompt-time recall handed to each agent session (`recalled_contexts`).

Recall injects a few of the project's notes with a prompt. A note already handed to a session is not
handed to it again (the model has it; repeating it is noise), so each injection is kept: the agent session's
connection (the agent and its own session id: the first prompt can arrive before the session's start
event is applied), the context, its project, when and how relevant it was. A deleted context takes its rows along. On
PostgreSQL a person records and reads only recalls of projects they may read.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aidis.db.types import UTCDateTime, UUIDType

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

MEMBER = "aidis_member"
SERVER = "aidis_server"


def upgrade() -> None:
    op.create_table(
        "recalled_contexts",
        sa.Column("connection_id", sa.String(200), nullable=False),
        sa.Column(
            "context_id",
            UUIDType(),
            sa.ForeignKey("contexts.id", ondelete="CASCADE", name="fk_recalled_contexts_context_id_contexts"),
            nullable=False,
        ),
        sa.Column(
            "project_id",
            UUIDType(),
            sa.ForeignKey("projects.id", ondelete="CASCADE", name="fk_recalled_contexts_project_id_projects"),
            nullable=False,
        ),
        sa.Column("recalled_at", UTCDateTime(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("connection_id", "context_id", name="pk_recalled_contexts"),
    )
    op.create_index("ix_recalled_contexts_recalled_at", "recalled_contexts", ["recalled_at"])
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if bind.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": MEMBER}).first():
        op.execute(f"GRANT SELECT, INSERT, DELETE ON recalled_contexts TO {MEMBER}")
        op.execute("ALTER TABLE recalled_contexts ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY aidis_read ON recalled_contexts FOR SELECT TO {MEMBER} "
            "USING (aidis_readable(project_id))"
        )
        op.execute(
            f"CREATE POLICY aidis_insert ON recalled_contexts FOR INSERT TO {MEMBER} "
            "WITH CHECK (aidis_readable(project_id))"
        )
        op.execute(
            f"CREATE POLICY aidis_delete ON recalled_contexts FOR DELETE TO {MEMBER} "
            "USING (aidis_writable(project_id))"
        )
    if bind.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": SERVER}).first():
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON recalled_contexts TO {SERVER}")
        op.execute(
            f"CREATE POLICY aidis_server ON recalled_contexts FOR ALL TO {SERVER} "
            "USING (aidis_user() IS NULL) WITH CHECK (aidis_user() IS NULL)"
        )


def downgrade() -> None:
    op.drop_index("ix_recalled_contexts_recalled_at", table_name="recalled_contexts")
    op.drop_table("recalled_contexts")
