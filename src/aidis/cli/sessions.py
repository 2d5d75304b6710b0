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
from aidis.schemas import ChangeOut, ContextHitOut, SessionOut
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
    """One session: its facts, timeline of events, contexts (compact) and project changes."""
    with quiet_app() as app:
        detail = app.sessions.detail(ref)
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
        }
        typer.echo(json.dumps(body, indent=2))
        return
    console = Console()
    console.print(
        f"[bold]{session.display_id}[/bold] · {escape(session.project_name)} · {session.status} · {escape(session.title or 'untitled')}"
    )
    console.print(
        f"started {session.started_at:%Y-%m-%d %H:%M} UTC · {int(session.duration_seconds // 60)} min · {session.contexts} contexts · {session.tool_calls} tool calls · {session.input_tokens + session.output_tokens} tokens ({session.tokens})"
    )
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
