"""`aidis db …`: the schema's version (`upgrade`, `current`) and the PostgreSQL login a team server
should run as (`runtime-role`; thin: parse → the operations domain's services → print)."""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer

from aidis.app import AppContext
from aidis.cli.common import build, fail
from aidis.cli.common import settings as settings_from_env
from aidis.errors import AidisError
from aidis.services.operations.db_roles import DatabaseRoleService


def runtime_role_command(
    name: Annotated[str, typer.Argument(help="the login role to make, e.g. aidis_app")],
    password_env: Annotated[
        str | None,
        typer.Option("--password-env", help="name of an environment variable holding its password"),
    ] = None,
    print_sql: Annotated[
        bool, typer.Option("--print-sql", help="print the SQL for a database admin instead of running it")
    ] = False,
) -> None:
    """Make the login role a team server runs as: not superuser, not owner, no BYPASSRLS (row-level
    security then holds even for a `RESET ROLE`). Run it as a user who may create roles, then point
    AIDIS_DATABASE_URL at the new role."""
    password = None
    if password_env is not None:
        password = os.environ.get(password_env)
        if password is None:
            raise fail(f"--password-env: the variable {password_env} is not set")
    app = build(settings_from_env(), migrate=False)
    roles = DatabaseRoleService(app.engine)
    try:
        if print_sql:
            for statement in roles.runtime_role_sql(name, password):
                typer.echo(f"{statement};")
            return
        roles.create_runtime_role(name, password)
    except AidisError as exc:
        raise fail(exc.message) from exc
    finally:
        app.close()
    typer.echo(
        f"role {name} made: set AIDIS_DATABASE_URL=postgresql://{name}{':…' if password else ''}@HOST/"
        f"{app.engine.url.database} for `aidis serve` (migrations stay with the owner: `aidis db upgrade`)"
    )


def team_privilege_warning(app: AppContext) -> str | None:
    """What `aidis serve` warns of at start: a team server logged in as a role that ignores row security."""
    try:
        if not app.team.team_mode():
            return None
        return DatabaseRoleService(app.engine).privilege_warning()
    except AidisError as exc:  # the database is away: serving will say so where it matters
        return f"could not check the database role: {exc.message}"


db_cli = typer.Typer(help="Database schema commands.", no_args_is_help=True)
db_cli.command("runtime-role")(runtime_role_command)


JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a sentence")]


@db_cli.command("upgrade")
def db_upgrade(as_json: JsonFlag = False) -> None:
    """Create or upgrade the database named by AIDIS_DATABASE_URL (default: the SQLite file)."""
    settings = settings_from_env()
    app = build(settings, migrate=False)
    try:
        before, after = app.schema.upgrade()
    except AidisError as exc:
        raise fail(exc.message) from exc
    finally:
        app.close()
    if as_json:
        typer.echo(json.dumps({"before": before, "after": after, "changed": before != after}, indent=2))
    elif before == after:
        typer.echo(f"database already at {after}; nothing to do")
    else:
        typer.echo(f"database upgraded from {before or 'empty'} to {after}")


@db_cli.command("current")
def db_current(as_json: JsonFlag = False) -> None:
    """Show the database's migration revision and the code's head."""
    settings = settings_from_env()
    app = build(settings, migrate=False)
    try:
        state = app.schema.state()
    except AidisError as exc:
        raise fail(exc.message) from exc
    finally:
        app.close()
    if as_json:
        body = {"database": state.database, "code": state.code, "current": state.database == state.code}
        typer.echo(json.dumps(body, indent=2))
        return
    typer.echo(f"database: {state.database or 'not migrated'}; code head: {state.code}")
