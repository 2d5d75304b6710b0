"""`aidis import-history [claude-code|all]`: the sessions the agents kept before AIDIS (thin: find the
agent's files → HistoryImport → a progress bar and a summary, or JSON)."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from aidis.cli.common import fail, quiet_app
from aidis.services.agents.history_files import claude_code_files, claude_code_roots

AGENTS_WITH_HISTORY = ("claude-code",)
NOT_YET = {"codex": "Codex's rollouts", "gemini-cli": "Gemini CLI's chats"}


def import_history_command(
    agent: Annotated[str, typer.Argument(help="claude-code, or all")] = "all",
    since: Annotated[
        str | None, typer.Option("--since", help="Only sessions active on or after this day (YYYY-MM-DD)")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be imported; write nothing")
    ] = False,
    path: Annotated[
        list[Path] | None,
        typer.Option(
            "--path",
            help="A Claude Code config folder holding projects/ (default: CLAUDE_CONFIG_DIR, ~/.config/claude, ~/.claude)",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a summary")] = False,
) -> None:
    """Import sessions from the agents' own transcripts: one ended session per agent session, in the
    project of its folder, with exact tokens by model and hour. Idempotent; sessions the hooks recorded
    are completed, never duplicated."""
    if agent in NOT_YET:
        raise fail(f"importing {NOT_YET[agent]} is not supported yet; `aidis import-history claude-code` is")
    if agent not in ("all", *AGENTS_WITH_HISTORY):
        raise fail(f"agent must be one of: all, {', '.join(AGENTS_WITH_HISTORY)}")
    first = None
    if since is not None:
        try:
            first = datetime.combine(date.fromisoformat(since.strip()), datetime.min.time(), tzinfo=UTC)
        except ValueError:
            raise fail(f"--since: {since!r} is not a day (YYYY-MM-DD)") from None
    roots = list(path) if path else claude_code_roots(os.environ, Path.home())
    missing = [str(r) for r in roots if not (r / "projects").is_dir()]
    if missing:
        raise fail(f"--path: no projects/ folder in {', '.join(missing)}")
    files = list(claude_code_files(roots))
    with (
        quiet_app() as app,
        Progress(
            TextColumn("importing Claude Code history"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            disable=as_json or not files,
        ) as bar,
    ):
        task = bar.add_task("files", total=len(files))
        report = app.history.run(files, since=first, dry_run=dry_run, progress=lambda _: bar.advance(task))
    summary = {
        "folders": [str(r) for r in roots],
        "files": report.files,
        "created": report.created,
        "completed": report.completed,
        "unchanged": report.unchanged,
        "older_than_since": report.older,
        "tokens": report.tokens,
        "skipped": [{"file": f, "why": w} for f, w in report.skipped],
        "dry_run": report.dry_run,
    }
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    console = Console()
    verb = "would import" if dry_run else "imported"
    console.print(
        f"{verb} {report.created} new session(s), completed {report.completed}, {report.unchanged} unchanged, "
        f"{report.tokens:,} tokens, from {report.files} transcript(s) in {', '.join(escape(str(r)) for r in roots) or 'no folder'}",
        highlight=False,
    )
    for file, why in report.skipped:
        console.print(f"skipped {escape(file)}: {escape(why)}", highlight=False)
