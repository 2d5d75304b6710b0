"""`aidis projects …`: list, create, rename, archive, merge, and a project's roots and repos."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aidis.cli.common import quiet_app
from aidis.enums import Actor
from aidis.records import Workspace
from aidis.schemas import ProjectOut

projects_cli = typer.Typer(
    help="Projects and the workspaces (folders, repositories) they own.", no_args_is_help=True
)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


def _workspaces(held: list[Workspace]) -> str:
    return ", ".join(f"{w.kind.value} {w.identity}" for w in held) or "–"


@projects_cli.command("list")
def list_projects(
    archived: Annotated[bool, typer.Option(help="Include archived projects")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Every project with its session count, roots and repos."""
    with quiet_app() as app:
        rows = [
            (p, app.workspaces.list(str(p.project.id))) for p in app.projects.list(include_archived=archived)
        ]
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {  # the API's project shape (GET /api/v1/projects), with the workspaces beside it
                        **ProjectOut.of(p.project, p.session_count).model_dump(mode="json"),
                        "workspaces": [{"kind": w.kind.value, "identity": w.identity} for w in held],
                    }
                    for p, held in rows
                ],
                indent=2,
            )
        )
        return
    table = Table(title="projects")
    for column in ("name", "status", "sessions", "workspaces"):
        table.add_column(column, justify="right" if column == "sessions" else "left")
    for p, held in rows:
        table.add_row(p.project.display_name, p.project.status, str(p.session_count), _workspaces(held))
    Console().print(table)


@projects_cli.command()
def create(
    name: str,
    description: Annotated[str | None, typer.Option(help="What the project is")] = None,
    root: Annotated[list[str] | None, typer.Option(help="A directory of the project (repeatable)")] = None,
    repo: Annotated[list[str] | None, typer.Option(help="A git remote of the project (repeatable)")] = None,
) -> None:
    """Create a project, optionally owning directories and repositories."""
    with quiet_app() as app:
        project = app.projects.create(name, description=description, roots=root or [], repos=repo or [])
        held = app.workspaces.list(str(project.id))
    typer.echo(f"created project {project.name} ({_workspaces(held)})")


@projects_cli.command()
def rename(project: str, new_name: str) -> None:
    """Rename a project (the old name is kept in its history)."""
    with quiet_app() as app:
        renamed = app.projects.rename(project, new_name, actor=Actor.USER)
    typer.echo(f"renamed to {renamed.name}")


@projects_cli.command()
def archive(project: str) -> None:
    """Archive a project: it keeps its sessions and takes no new ones."""
    with quiet_app() as app:
        archived = app.projects.archive(project, actor=Actor.USER)
    typer.echo(f"archived {archived.name}")


@projects_cli.command()
def recall(project: str, state: str = typer.Argument(..., help="on or off")) -> None:
    """Turn prompt-time recall on or off for one project (AIDIS_RECALL turns it off everywhere)."""
    if state not in ("on", "off"):
        raise typer.BadParameter("must be on or off", param_hint="STATE")
    with quiet_app() as app:
        updated = app.projects.set_recall(project, enabled=state == "on")
    typer.echo(f"recall is {state} for {updated.name}")


@projects_cli.command()
def merge(source: str, target: str) -> None:
    """Merge SOURCE into TARGET: every session, context, event, root and repo moves; SOURCE is deleted."""
    with quiet_app() as app:
        report = app.merges.merge(source, target, actor=Actor.USER)
    typer.echo(
        f"merged {report.merged} into {report.target.name}: {report.sessions} sessions, "
        f"{report.contexts} contexts, {report.events} events, {report.workspaces} roots/repos"
    )


def _update(project: str, **change: list[str]) -> None:
    with quiet_app() as app:
        updated, held = app.workspaces.update(project, **change)
    typer.echo(f"{updated.name}: {_workspaces(held)}")


@projects_cli.command("add-root")
def add_root(project: str, directory: str) -> None:
    """Sessions started in DIRECTORY (or below it) land in PROJECT."""
    _update(project, add_roots=[directory])


@projects_cli.command("remove-root")
def remove_root(project: str, directory: str) -> None:
    """PROJECT no longer owns DIRECTORY."""
    _update(project, remove_roots=[directory])


@projects_cli.command("add-repo")
def add_repo(project: str, remote: str) -> None:
    """Clones of REMOTE (any URL spelling) land in PROJECT."""
    _update(project, add_repos=[remote])


@projects_cli.command("remove-repo")
def remove_repo(project: str, remote: str) -> None:
    """PROJECT no longer owns REMOTE."""
    _update(project, remove_repos=[remote])
