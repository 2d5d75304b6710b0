"""`aidis users …`, `aidis tokens …`, `aidis grants …` and `aidis audit`: setting up a team server and
seeing who read and changed what. These run with the database's own credentials (an operator's
commands); a token is printed once, when it is made, and never again."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from aidis.cli.common import fail, quiet_app
from aidis.services.access import expires_from

users_cli = typer.Typer(help="People who may use a team server.", no_args_is_help=True)
tokens_cli = typer.Typer(help="Personal tokens (printed once; stored only as a hash).", no_args_is_help=True)
grants_cli = typer.Typer(help="Who may read, write or administer which project.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "–"


@users_cli.command("add")
def add_user(
    name: Annotated[str, typer.Argument(help="Letters, digits, . _ @ - (at most 64)")],
    email: Annotated[str | None, typer.Option(help="Matched to the identity provider's email")] = None,
    admin: Annotated[
        bool, typer.Option("--admin", help="A server admin: every project, users, export")
    ] = False,
) -> None:
    """Add a person. The first user turns the server into a team server: every network surface then
    needs a credential."""
    with quiet_app() as app:
        user = app.team.add_user(name, email=email, admin=admin)
    typer.echo(
        f"added {user.name}" + (" (server admin)" if user.is_admin else "") + "; next: aidis grants set"
    )


@users_cli.command("list")
def list_users(as_json: JsonFlag = False) -> None:
    """Every user."""
    with quiet_app() as app:
        users = app.team.users()
    if as_json:
        rows = [
            {
                "name": u.name,
                "email": u.email,
                "admin": u.is_admin,
                "created_at": u.created_at.isoformat(),
                "disabled_at": u.disabled_at.isoformat() if u.disabled_at else None,
            }
            for u in users
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="users")
    for column in ("name", "email", "admin", "created", "disabled"):
        table.add_column(column)
    for u in users:
        table.add_row(
            u.name, u.email or "–", "yes" if u.is_admin else "", _when(u.created_at), _when(u.disabled_at)
        )
    Console().print(table)


@users_cli.command("disable")
def disable_user(name: str) -> None:
    """Disable a person: every token of theirs stops working at once."""
    with quiet_app() as app:
        user = app.team.set_disabled(name, True)
    typer.echo(f"disabled {user.name}")


@users_cli.command("enable")
def enable_user(name: str) -> None:
    """Enable a disabled person again (their unrevoked, unexpired tokens work again)."""
    with quiet_app() as app:
        user = app.team.set_disabled(name, False)
    typer.echo(f"enabled {user.name}")


@tokens_cli.command("create")
def create_token(
    user: Annotated[str, typer.Option("--user", help="Whose token")],
    project: Annotated[
        list[str] | None, typer.Option("--project", "-p", help="Limit it to this project (repeatable)")
    ] = None,
    role: Annotated[
        str | None,
        typer.Option(help="The most it may do: read, write or admin (default: no cap, all its person may)"),
    ] = None,
    expires: Annotated[str, typer.Option(help="Lifetime: 12h, 90d, 2w or never")] = "90d",
    name: Annotated[str | None, typer.Option("--name", help="A label, e.g. laptop or ci")] = None,
) -> None:
    """Make a personal token and print it — once: it is stored only as a hash."""
    lifetime = expires_from(expires)
    with quiet_app() as app:
        row, text = app.team.create_token(
            user, role=role, projects=project or [], expires_in=lifetime, label=name
        )
    typer.echo(text)
    scope = "its projects" if row.projects is None else f"{len(row.projects)} project(s)"
    until = _when(row.expires_at) if row.expires_at else "never expires"
    Console(stderr=True).print(
        f"[dim]token {row.public_id} for {user}: {row.role}, {scope}, until {until}. It is shown only now.[/dim]",
        highlight=False,
    )


@tokens_cli.command("list")
def list_tokens(
    user: Annotated[str | None, typer.Option("--user", help="Only this person's")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Tokens (never their text): id, owner, role, projects, expiry, last use."""
    with quiet_app() as app:
        rows = app.team.tokens(user)
    if as_json:
        out: list[dict[str, Any]] = [
            {
                "id": t.public_id,
                "user": owner,
                "name": t.label,
                "role": t.role,
                "projects": t.projects,
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
            }
            for t, owner in rows
        ]
        typer.echo(json.dumps(out, indent=2))
        return
    table = Table(title="tokens")
    for column in ("id", "user", "name", "role", "projects", "expires", "revoked", "last used"):
        table.add_column(column)
    for t, owner in rows:
        projects = "its projects" if t.projects is None else str(len(t.projects))
        table.add_row(
            t.public_id,
            owner,
            t.label or "",
            t.role,
            projects,
            _when(t.expires_at),
            _when(t.revoked_at),
            _when(t.last_used_at),
        )
    Console().print(table)


@tokens_cli.command("revoke")
def revoke_token(token_id: Annotated[str, typer.Argument(help="The id `aidis tokens list` shows")]) -> None:
    """Revoke a token: it stops working at once."""
    with quiet_app() as app:
        row = app.team.revoke_token(token_id)
    typer.echo(f"revoked {row.public_id}")


@grants_cli.command("set")
def set_grant(
    project: Annotated[str, typer.Option("--project", "-p", help="The project")],
    role: Annotated[str, typer.Option(help="read, write or admin")],
    user: Annotated[str | None, typer.Option("--user", help="A person")] = None,
    group: Annotated[str | None, typer.Option("--group", help="An identity-provider group instead")] = None,
) -> None:
    """Give a person (or a group) a role in a project, replacing an earlier one. Without one, a project is
    invisible to them."""
    with quiet_app() as app:
        grant = app.team.grant(project, role, user=user, group=group)
    typer.echo(
        f"{grant.user_name or 'group ' + str(grant.group_name)} may {grant.role} in {grant.project_name}"
    )


@grants_cli.command("revoke")
def revoke_grant(
    project: Annotated[str, typer.Option("--project", "-p", help="The project")],
    user: Annotated[str | None, typer.Option("--user", help="A person")] = None,
    group: Annotated[str | None, typer.Option("--group", help="An identity-provider group")] = None,
) -> None:
    """Take a grant away."""
    with quiet_app() as app:
        app.team.revoke_grant(project, user=user, group=group)
    typer.echo("revoked")


@grants_cli.command("list")
def list_grants(
    project: Annotated[str | None, typer.Option("--project", "-p", help="Only this project")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Every grant."""
    with quiet_app() as app:
        grants = app.team.grants(project)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {"project": g.project_name, "user": g.user_name, "group": g.group_name, "role": g.role}
                    for g in grants
                ],
                indent=2,
            )
        )
        return
    table = Table(title="grants")
    for column in ("project", "who", "role"):
        table.add_column(column)
    for g in grants:
        table.add_row(g.project_name, g.user_name or f"group {g.group_name}", g.role)
    Console().print(table)


def audit_command(
    user: Annotated[str | None, typer.Option("--user", help="Only this person")] = None,
    project: Annotated[str | None, typer.Option("--project", "-p", help="Only this project")] = None,
    since: Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    as_json: JsonFlag = False,
) -> None:
    """Who read and changed what: newest first (ids and counts, never content)."""
    start = None
    if since is not None:
        try:
            start = datetime.combine(date.fromisoformat(since), time.min, tzinfo=UTC)
        except ValueError:
            raise fail(f"--since: {since!r} is not a date like 2026-01-31") from None
    with quiet_app() as app:
        entries = app.audit.entries(user=user, project=project, since=start, limit=limit)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "at": e.occurred_at.isoformat(),
                        "user": e.user_name,
                        "token": str(e.token_id) if e.token_id else None,
                        "surface": e.surface,
                        "address": e.address,
                        "action": e.action,
                        "kind": e.kind,
                        "project_id": str(e.project_id) if e.project_id else None,
                        "ids": e.target_ids,
                        "count": e.item_count,
                        "outcome": e.outcome,
                    }
                    for e in entries
                ],
                indent=2,
            )
        )
        return
    table = Table(title="audit")
    for column in ("when", "who", "via", "from", "action", "kind", "project", "items", "outcome"):
        table.add_column(column)
    for e in entries:
        table.add_row(
            _when(e.occurred_at),
            e.user_name or "–",
            e.surface,
            e.address or "–",
            e.action,
            e.kind,
            str(e.project_id)[:8] if e.project_id else "–",
            str(e.item_count),
            e.outcome,
        )
    Console().print(table)
