"""SQL about PostgreSQL roles: who AIDIS is connected as, and the login role it should run as.

Invariant: a role name reaches SQL only after `ROLE_NAME` has matched it, and a password only as a
doubled-quote literal (standard_conforming_strings is on from PostgreSQL 9.1), so neither can carry a
statement of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, text

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
SERVER_GROUP = "aidis_server"


@dataclass(frozen=True, slots=True)
class ConnectedAs:
    """The role a connection runs as, and what makes it more than the runtime role should be."""

    name: str
    superuser: bool
    bypasses_row_security: bool
    owns_tables: bool


def connected_as(conn: Connection) -> ConnectedAs:
    """Who this connection is (PostgreSQL)."""
    row = conn.execute(
        text(
            "SELECT r.rolname, r.rolsuper, r.rolbypassrls, "
            "EXISTS (SELECT 1 FROM pg_tables t WHERE t.tablename = 'sessions' "
            "AND t.schemaname = current_schema() AND t.tableowner = current_user) "
            "FROM pg_roles r WHERE r.rolname = current_user"
        )
    ).one()
    return ConnectedAs(str(row[0]), bool(row[1]), bool(row[2]), bool(row[3]))


def runtime_role_sql(name: str, password: str | None, database: str) -> list[str]:
    """The statements that make `name` the login AIDIS runs as: not superuser, not owner, no BYPASSRLS,
    a member of the server group (every row while acting for nobody, the member's rows otherwise)."""
    secret = f" PASSWORD '{password.replace(chr(39), chr(39) * 2)}'" if password else ""
    return [
        f"CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS INHERIT{secret}",
        f'GRANT CONNECT ON DATABASE "{database}" TO {name}',
        f"GRANT {SERVER_GROUP} TO {name}",
    ]


def role_exists(conn: Connection, name: str) -> bool:
    """Whether a role of this name exists in the cluster."""
    return conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first() is not None


def run(conn: Connection, statements: list[str]) -> None:
    """Execute statements made by this module (validated names, quoted literals) in `conn`'s transaction."""
    for statement in statements:
        conn.exec_driver_sql(statement)
