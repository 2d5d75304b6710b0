"""`aidis sessions …`: list sessions and show one (its timeline, contexts and project changes).

The same services and shapes as the MCP tools and the API; Rich tables by default, `--json` for
scripts.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from aidis.cli.common import quiet_app
from aidis.cli.memory import hits_table
from aidis.enums import SessionStatus
from aidis.records import SessionFilter
from aidis.schemas import ActivityOut, ChangeOut, ContextHitOut, SessionOut
from aidis.services.memory.reads import ContextQuery

sessions_cli = typer.Typer(help="Sessions: list them, show one.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


@sessions_cli.command("list")
def list_sessions(
    project: Annotated[str | None, typer.Option("--project", "-p", help="Project name or id")] = None,
    unassigned: Annotated[bool, typer.Option(help="Only sessions in Unassigned")] = False,
    status: Annotated[SessionStatus | None, typer.Option(help="Only this status")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 30,
    as_json: JsonFlag = False,
) -> None:
    """Sessions newest first."""
    with quiet_app() as app:
        project_id = app.projects.get(project).id if project else None
        flt = SessionFilter(
            project_id=project_id, unassigned=unassigned, status=status.value if status else None
        )
        items, total = app.sessions.list(flt, limit=limit)
        now = app.clock()
    rows = [SessionOut.of(s, now) for s in items]
    if as_json:
        typer.echo(json.dumps({"total": total, "items": [r.model_dump(mode="json") for r in rows]}, indent=2))
        return
    table = Table(title=f"{len(rows)} of {total} session(s)")
    widest = max((len(r.display_id) for r in rows), default=7)
    table.add_column(
        "session", no_wrap=True, min_width=widest
    )  # ids are never cut: the next command takes them
    for column in ("project", "status", "started", "duration", "contexts", "tokens", "title"):
        table.add_column(column, justify="right" if column in ("contexts", "tokens") else "left")
    for r in rows:
        table.add_row(
            r.display_id,
            escape(r.project_name),
            r.status,
            f"{r.started_at:%Y-%m-%d %H:%M}",
            f"{int(r.duration_seconds // 60)}m",
            str(r.contexts),
            str(r.input_tokens + r.output_tokens),
            escape(r.title or "–"),
        )
    Console().print(table)


@sessions_cli.command("show")
def show_session(
    ref: Annotated[str, typer.Argument(help="Session id or display id")],
    as_json: JsonFlag = False,
) -> None:
    """One session: its facts, what its agent did (files, commands, test runs), timeline of events,
    contexts (compact) and project changes."""
    with quiet_app() as app:
        detail = app.sessions.detail(ref)
        activity = ActivityOut.of(app.activity.digest(detail.session.id))
        session = SessionOut.of(detail.session, app.clock())
        page = app.context_reads.recent(
            None, ContextQuery(all_projects=True, session=str(detail.session.id)), limit=100
        )
        names = {str(p.id): p.display_name for p in app.projects.choices()}
    hits = [ContextHitOut.of(h, marks=("", "")) for h in page.items]
    changes = [ChangeOut.of(c) for c in detail.changes]
    if as_json:
        body = {
            "session": session.model_dump(mode="json"),
            "events": [
                {
                    "occurred_at": e.occurred_at.isoformat(),
                    "event_type": e.event_type,
                    "actor": e.actor,
                    "tool_name": e.tool_name,
                }
                for e in detail.events
            ],
            "contexts": [h.model_dump(mode="json") for h in hits],
            "changes": [c.model_dump(mode="json") for c in changes],
            "activity": activity.model_dump(mode="json"),
        }
        typer.echo(json.dumps(body, indent=2))
        return
    console = Console()
    console.print(
        f"[bold]{session.display_id}[/bold] · {escape(session.project_name)} · {session.status} · {escape(session.title or 'untitled')}"
    )
    console.print(
        f"started {session.started_at:%Y-%m-%d %H:%M} UTC · {int(session.duration_seconds // 60)} min · {session.contexts} contexts · {session.tool_calls} AIDIS tool calls · {sum(activity.counts.values())} agent actions · {session.input_tokens + session.output_tokens} tokens ({session.tokens})"
    )
    print_activity(console, activity)
    timeline = Table(title="timeline")
    for column in ("when", "event", "tool", "by"):
        timeline.add_column(column)
    for e in detail.events:
        timeline.add_row(f"{e.occurred_at:%H:%M:%S}", e.event_type, e.tool_name or "", e.actor)
    console.print(timeline)
    console.print(hits_table("contexts", hits))
    if changes:
        moves = Table(title="project changes")
        for column in ("when", "from", "to", "reason", "by"):
            moves.add_column(column)
        for c in changes:
            moves.add_row(
                f"{c.changed_at:%Y-%m-%d %H:%M}",
                escape(names.get(c.from_project_id, "deleted project")),
                escape(names.get(c.to_project_id, "deleted project")),
                c.reason,
                c.actor,
            )
        console.print(moves)


def print_activity(console: Console, activity: ActivityOut) -> None:
    """What the session's agent did: the summary, files by folder, commands and test runs."""
    if not activity.counts:
        console.print("[dim]no agent activity recorded (the agent's hooks record it: aidis setup)[/dim]")
        return
    console.print(escape(activity.summary), highlight=False)
    if activity.files:
        files = Table(title="files")
        files.add_column("file", overflow="fold")
        files.add_column("done")
        for path, done in sorted(activity.files.items()):
            files.add_row(escape(path), ", ".join(done))
        console.print(files)
    if activity.tests:
        tests = Table(title="test runs")
        for column in ("command", "passed", "failed", "exit"):
            tests.add_column(column, overflow="fold")
        for t in activity.tests:
            tests.add_row(
                *(
                    escape(str(t[k])) if t[k] is not None else "–"
                    for k in ("command", "passed", "failed", "exit_code")
                )
            )
        console.print(tests)
    if activity.commands:
        commands = Table(title="commands")
        commands.add_column("command", overflow="fold")
        commands.add_column("exit")
        for c in activity.commands:
            commands.add_row(
                escape(str(c["command"])), "–" if c["exit_code"] is None else str(c["exit_code"])
            )
        console.print(commands)
    if activity.left_failing:
        console.print("[yellow]left failing:[/yellow] " + escape("; ".join(activity.left_failing)))
