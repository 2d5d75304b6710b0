"""The PostgreSQL login AIDIS runs as on a team server: made on request, and checked at start.

Invariant: row-level security is a real second line only when the server logs in as a role that is
neither superuser nor table owner and cannot bypass row security (either of those ignores every
policy, and `RESET ROLE` inside a member transaction would give it all back). `runtime_role` makes
such a role — or prints the SQL for someone who may — and `privilege_warning` says, when a team server
starts, that it is not running as one.
"""

from __future__ import annotations

from sqlalchemy import Engine

from aidis.errors import InvalidInput
from aidis.repositories import db_roles as repo


class DatabaseRoleService:
    """Make the runtime login role; tell whether the server is connected as one."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def runtime_role_sql(self, name: str, password: str | None = None) -> list[str]:
        """The statements that make `name` AIDIS's runtime login (InvalidInput naming the field when the
        name is not a plain lower-case identifier, or the database is not PostgreSQL)."""
        if self.engine.dialect.name != "postgresql":
            raise InvalidInput("a runtime role is for PostgreSQL; SQLite has no roles", field="database_url")
        if repo.ROLE_NAME.fullmatch(name) is None:
            raise InvalidInput(
                "the role name is 1-63 lower-case letters, digits or _ (starting with a letter or _)",
                field="name",
            )
        if password is not None and ("\x00" in password or not password.strip()):
            raise InvalidInput("the password must not be empty or hold NUL", field="password")
        database = self.engine.url.database or "postgres"
        return repo.runtime_role_sql(name, password, database)

    def create_runtime_role(self, name: str, password: str | None = None) -> list[str]:
        """Make the runtime login role (run by a user who may create roles); returns what was run."""
        statements = self.runtime_role_sql(name, password)
        with self.engine.begin() as conn:
            if repo.role_exists(conn, name):
                raise InvalidInput(f"a role named {name!r} already exists", field="name")
            if not repo.role_exists(conn, repo.SERVER_GROUP):
                raise InvalidInput(
                    f"this database has no {repo.SERVER_GROUP} group: run `aidis db upgrade` as a user who may "
                    "create roles first",
                    field="database_url",
                )
            repo.run(conn, statements)
        return statements

    def privilege_warning(self) -> str | None:
        """A line for the operator when a team server's login ignores row security, else None."""
        if self.engine.dialect.name != "postgresql":
            return None
        with self.engine.connect() as conn:
            me = repo.connected_as(conn)
        why = [
            w
            for w, held in (
                ("a superuser", me.superuser),
                ("the owner of AIDIS's tables", me.owns_tables),
                ("allowed to bypass row security", me.bypasses_row_security),
            )
            if held
        ]
        if not why:
            return None
        return (
            f"connected to PostgreSQL as {me.name!r}, which is {' and '.join(why)}: row-level security is no "
            "second line for a team server. Run as a runtime role instead (`aidis db runtime-role NAME`, "
            "docs/team.md)."
        )
