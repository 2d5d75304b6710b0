"""`aidis search` and `aidis contexts …`: look at, correct and forget memory from a shell.

The same services and the same compact-first shape as the MCP tools: a search prints hits (title,
snippet, size), `contexts show` prints one context whole. Rich tables by default, `--json` for
scripts. Changes made here are recorded as the user's.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from aidis.cli.common import fail, quiet_app
from aidis.enums import ContextType, SearchMode
from aidis.schemas import (
    ContextHitOut,
    ContextOut,
    ContextRevisionOut,
    StoredOut,
    TouchedOut,
    render_snippet,
)
from aidis.services.memory.reads import ContextQuery, as_hit

contexts_cli = typer.Typer(help="Stored memory: add, show, delete, restore, purge.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]
ProjectOpt = Annotated[
    str | None, typer.Option("--project", "-p", help="Project name or id (default: every project)")
]


def hits_table(title: str, hits: list[ContextHitOut]) -> Table:
    """Compact hits as a Rich table, matched words in bold."""
    table = Table(title=title)
    sessions = [hit.session or "–" for hit in hits]
    table.add_column("id", no_wrap=True, min_width=8)  # ids are never cut: `contexts show` takes these
    table.add_column("type", overflow="fold")
    table.add_column("project", overflow="fold")
    table.add_column("session", no_wrap=True, min_width=max((len(v) for v in sessions), default=7))
    table.add_column("title / snippet", overflow="fold")
    table.add_column("tokens", justify="right", overflow="fold")
    for hit in hits:
        snippet = render_snippet(escape(hit.snippet), "[bold]", "[/bold]")
        table.add_row(
            hit.id[:8],
            hit.type,
            hit.project,
            hit.session or "–",
            f"{escape(hit.title)}\n{snippet}",
            str(hit.tokens),
        )
    return table


def search_command(
    query: Annotated[str, typer.Argument(help='Words, a question, "a phrase", prefix*, a path')],
    project: ProjectOpt = None,
    mode: Annotated[
        SearchMode, typer.Option(help="hybrid: words and meaning fused; keyword or semantic alone")
    ] = SearchMode.HYBRID,
    context_type: Annotated[
        list[ContextType] | None, typer.Option("--type", help="Only this type (repeatable)")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Only with this tag (repeatable)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Search stored contexts by words and meaning, best match first (every project unless --project)."""
    scope = ContextQuery(
        project=project, all_projects=project is None, types=context_type or [], tags=tag or []
    )
    with quiet_app() as app:
        page = app.context_reads.search(None, query, scope, limit=limit, mode=mode)
    marks = ("", "") if as_json else ("\x02", "\x03")  # the table renders the match markers in bold
    hits = [ContextHitOut.of(hit, marks=marks) for hit in page.items]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "scope": page.scope,
                    "mode_used": page.mode_used.value if page.mode_used is not None else None,
                    "notice": page.notice,
                    "items": [h.model_dump(mode="json") for h in hits],
                    "more": page.has_more,
                    "touched_by": [TouchedOut.of(t).model_dump(mode="json") for t in page.touched],
                },
                indent=2,
            )
        )
        return
    ranked = f", ranked by {page.mode_used.value}" if page.mode_used is not None else ""
    Console().print(
        hits_table(
            f"{len(hits)} hit(s) in {page.scope}{ranked}"
            + (" (more: raise --limit)" if page.has_more else ""),
            hits,
        )
    )
    if not hits:
        Console(stderr=True).print(
            "[dim]nothing found: try other words, a question in plain words, "
            + ("every project (drop --project), " if project is not None else "")
            + "or `aidis contexts add` to store it[/dim]",
            highlight=False,
        )
    if page.notice:
        Console(stderr=True).print(f"[yellow]{escape(page.notice)}[/yellow]", highlight=False)
    if hits:
        Console().print("[dim]whole text: aidis contexts show ID[/dim]")
    for touched in page.touched:
        Console().print(
            f"{escape(touched.path)} was touched by {touched.display_id} ({escape(touched.project_name)}), "
            f"{touched.times}×, last {touched.last_at:%Y-%m-%d %H:%M}",
            highlight=False,
        )


@contexts_cli.command("add")
def add_context(
    text: Annotated[str, typer.Argument(help="The note; - reads it from standard input")],
    context_type: Annotated[
        ContextType, typer.Option("--type", help="What kind of context")
    ] = ContextType.NOTE,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeatable)")] = None,
    key: Annotated[str | None, typer.Option(help="A topic key: storing it again revises the note")] = None,
    project: Annotated[
        str | None, typer.Option("--project", "-p", help="Project name or id (default: this folder's)")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Store a note without an MCP client, by the same rules as the agents' context_store tool (secrets
    redacted, a duplicate seen again, a --key revised; the project named, else this folder's)."""
    content = sys.stdin.read() if text == "-" else text
    with quiet_app() as app:
        stored = app.contexts.store_by_hand(
            "cli",
            content,
            workspace=os.getcwd(),
            context_type=context_type,
            tags=tag or [],
            project=project,
            key=key,
        )
    out = StoredOut(
        context=ContextHitOut.of(as_hit(stored.context, stored.session)),
        outcome=stored.outcome,
        session=stored.session.display_id,
        redactions=stored.redactions,
    )
    if as_json:
        typer.echo(json.dumps(out.model_dump(mode="json"), indent=2))
        return
    redacted = ", ".join(f"{n} {k}" for k, n in out.redactions.items())
    typer.echo(
        f"{out.outcome}: {out.context.id} in {out.context.project}"
        + (f" (redacted before storing: {redacted})" if redacted else "")
    )


@contexts_cli.command("show")
def show_context(
    context_id: Annotated[
        str, typer.Argument(help="The context's id, or its first characters as search prints them")
    ],
    revisions: Annotated[bool, typer.Option(help="Also print earlier revisions")] = False,
    as_json: JsonFlag = False,
) -> None:
    """One context with its whole text (and, with --revisions, its earlier versions)."""
    with quiet_app() as app:
        wanted = app.context_reads.resolve_id(context_id)
        (found,) = app.context_reads.get([wanted], with_revisions=revisions)
    context = ContextOut.of(found.context)
    kept = [ContextRevisionOut.of(r) for r in found.revisions]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "context": context.model_dump(mode="json"),
                    "revisions": [r.model_dump(mode="json") for r in kept],
                },
                indent=2,
            )
        )
        return
    console = Console()
    state = " (purged)" if context.purged_at else " (deleted)" if context.deleted_at else ""
    console.print(
        f"[bold]{context.context_type}[/bold] in {escape(context.project_name)}{state} · {context.created_at:%Y-%m-%d %H:%M} UTC · revision {context.revision} · {context.tokens} tokens"
    )
    if context.tags:
        console.print("tags: " + escape(", ".join(context.tags)))
    if context.redactions:
        console.print(
            "redacted before storing: " + ", ".join(f"{n} {k}" for k, n in context.redactions.items())
        )
    console.print(escape(context.content), highlight=False)
    for revision in kept:
        console.print(
            f"\n[dim]revision {revision.revision} · replaced {revision.replaced_at:%Y-%m-%d %H:%M}[/dim]"
        )
        console.print(escape(revision.content), highlight=False)


@contexts_cli.command("delete")
def delete_context(
    context_id: Annotated[
        str, typer.Argument(help="The context's id, or its first characters as search prints them")
    ],
    reason: Annotated[str | None, typer.Option(help="Why (kept in the record)")] = None,
) -> None:
    """Hide a context from search and counts (restorable with `aidis contexts restore`)."""
    with quiet_app() as app:
        edited = app.context_edits.delete(None, app.context_reads.resolve_id(context_id), reason=reason)
    typer.echo(f"{edited.action}: {edited.context.id}")


@contexts_cli.command("restore")
def restore_context(
    context_id: Annotated[
        str, typer.Argument(help="The context's id, or its first characters as search prints them")
    ],
) -> None:
    """Bring back a deleted (not purged) context."""
    with quiet_app() as app:
        edited = app.context_edits.restore(None, app.context_reads.resolve_id(context_id))
    typer.echo(f"{edited.action}: {edited.context.id}")


@contexts_cli.command("purge")
def purge_contexts(
    context_ids: Annotated[list[str] | None, typer.Argument(help="Contexts to erase")] = None,
    all_deleted: Annotated[bool, typer.Option("--all-deleted", help="Erase every deleted context")] = False,
    project: ProjectOpt = None,
    reason: Annotated[str | None, typer.Option(help="Why (kept in the tombstone event)")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Erase contexts' text and revisions for good, leaving a tombstone event (who, when, why)."""
    if bool(context_ids) == all_deleted:
        raise fail("give context ids, or --all-deleted (not both)")
    with quiet_app() as app:
        ids = [app.context_reads.resolve_id(c) for c in context_ids or []]
        if all_deleted:
            ids = app.context_reads.deleted_ids(project=project)
        if not ids:
            typer.echo("nothing to purge")
            return
        if not yes and not typer.confirm(f"Erase {len(ids)} context(s) for good?", default=False):
            raise fail("not confirmed; nothing was changed")
        done = [app.context_edits.delete(None, i, purge=True, reason=reason) for i in ids]
    purged = sum(1 for e in done if e.action == "purged")
    typer.echo(f"purged {purged} context(s); {len(done) - purged} were already purged")
