"""SQL that makes a PostgreSQL transaction act for one person, so row-level security applies.

Invariant: inside such a transaction the connection runs as the `aidis_member` role (made by
migration 0009) with the person's id and their readable, writable and administrable projects (0011) set for that
transaction only (`set_config(..., true)`), so the policies on every project table return and accept
only those projects' rows — whatever a service asked for. Where the role does not exist (the
migrating user could not create it), nothing is switched and the services' checks stand alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import Connection, Engine, text

MEMBER_ROLE = "aidis_member"
_KNOWN = "aidis_member_role"


def member_role_exists(conn: Connection) -> bool:
    """Whether row security is in force here (asked once per engine): this database has the policies,
    and the user AIDIS connects as may take the role they are written for."""
    engine: Engine = conn.engine
    known = engine.__dict__.get(_KNOWN)
    if known is None:
        known = bool(
            conn.execute(
                text(
                    "SELECT 1 FROM pg_roles r WHERE r.rolname = :r "
                    "AND pg_has_role(current_user, r.oid, 'MEMBER') "
                    "AND EXISTS (SELECT 1 FROM pg_policies p WHERE p.tablename = 'contexts' "
                    "AND p.policyname = 'aidis_read' AND p.schemaname = current_schema())"
                ),
                {"r": MEMBER_ROLE},
            ).first()
        )
        engine.__dict__[_KNOWN] = known
    return bool(known)


def act_for(
    conn: Connection,
    user_id: uuid.UUID,
    readable: Iterable[uuid.UUID],
    writable: Iterable[uuid.UUID],
    administrable: Iterable[uuid.UUID] = (),
) -> None:
    """Make the open transaction act for this person (PostgreSQL)."""
    if not member_role_exists(conn):
        return
    conn.execute(  # one round trip; set_config('role', …, true) is SET LOCAL ROLE
        text(
            "SELECT set_config('aidis.user_id', :u, true), set_config('aidis.readable', :r, true), "
            "set_config('aidis.writable', :w, true), set_config('aidis.administrable', :a, true), "
            "set_config('role', :role, true)"
        ),
        {
            "u": str(user_id),
            "r": ",".join(sorted(map(str, readable))),
            "w": ",".join(sorted(map(str, writable))),
            "a": ",".join(sorted(map(str, administrable))),
            "role": MEMBER_ROLE,
        },
    )
