"""A project's admins manage its grants, and row-level security agrees.

Until now only server admins granted, so the `aidis_member` role could write no grant at all. A
transaction acting for a person now also knows the projects they administer (`aidis.administrable`,
set with the others in one round trip); the grants of those projects — and no others — are theirs to
add, change and remove, and a person who administers any project may read the people they could
grant (names, to name a grantee). Nothing changes on SQLite (the services' checks alone) or where
migration 0009 could not make the role.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

MEMBER = "aidis_member"
ADMINISTRABLE = "NULLIF(current_setting('aidis.administrable', true), '')"
FUNCTION = (
    "CREATE OR REPLACE FUNCTION aidis_administrable(project uuid) RETURNS boolean AS $$ "
    f"SELECT project = ANY (string_to_array({ADMINISTRABLE}, ',')::uuid[]) $$ LANGUAGE sql STABLE"
)
WRITES = ("aidis_insert", "aidis_update", "aidis_delete")


def _has_row_security() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    found = bind.execute(
        sa.text("SELECT 1 FROM pg_policies WHERE tablename = 'project_grants' AND policyname = 'aidis_read'")
    ).first()
    return found is not None


def _policies(grants_write: str, users_read: str) -> None:
    for policy in WRITES:
        op.execute(f"DROP POLICY IF EXISTS {policy} ON project_grants")
    op.execute(
        f"CREATE POLICY aidis_insert ON project_grants FOR INSERT TO {MEMBER} WITH CHECK ({grants_write})"
    )
    op.execute(
        f"CREATE POLICY aidis_update ON project_grants FOR UPDATE TO {MEMBER} "
        f"USING ({grants_write}) WITH CHECK ({grants_write})"
    )
    op.execute(f"CREATE POLICY aidis_delete ON project_grants FOR DELETE TO {MEMBER} USING ({grants_write})")
    op.execute("DROP POLICY IF EXISTS aidis_read ON users")
    op.execute(f"CREATE POLICY aidis_read ON users FOR SELECT TO {MEMBER} USING ({users_read})")


def upgrade() -> None:
    if not _has_row_security():
        return
    op.execute(FUNCTION)
    _policies("aidis_administrable(project_id)", f"(id = aidis_user() OR {ADMINISTRABLE} IS NOT NULL)")


def downgrade() -> None:
    if not _has_row_security():
        return
    _policies("false", "id = aidis_user()")
    op.execute("DROP FUNCTION IF EXISTS aidis_administrable(uuid)")
