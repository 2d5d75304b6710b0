"""`aidis import-history [claude-code|codex|gemini-cli|all]`: the sessions the agents kept before AIDIS (thin: find
the agents' files → HistoryImport → a progress bar and a summary, or JSON)."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from aidis.cli.common import fail, quiet_app
from aidis.services.agents.history_files import LOCATIONS, HistoryFile, history_of

AGENTS_WITH_HISTORY = tuple(LOCATIONS)


def import_history_command(
    agent: Annotated[str, typer.Argument(help="claude-code, codex, gemini-cli, or all")] = "all",
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
            help="The agent's own folder (Claude Code: holding projects/, default CLAUDE_CONFIG_DIR, "
            "~/.config/claude, ~/.claude; Codex: holding sessions/, default CODEX_HOME, ~/.codex)",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a summary")] = False,
) -> None:
    """Import sessions from the agents' own transcripts: one ended session per agent session, in the
    project of its folder, with exact tokens by model and hour. Idempotent; sessions the hooks recorded
    are completed, never duplicated."""
    if agent not in ("all", *AGENTS_WITH_HISTORY):
        raise fail(f"agent must be one of: all, {', '.join(AGENTS_WITH_HISTORY)}")
    first = None
    if since is not None:
        try:
            first = datetime.combine(date.fromisoformat(since.strip()), datetime.min.time(), tzinfo=UTC)
        except ValueError:
            raise fail(f"--since: {since!r} is not a day (YYYY-MM-DD)") from None
    agents = list(AGENTS_WITH_HISTORY) if agent == "all" else [agent]
    if path and len(agents) > 1:
        raise fail("--path: name the agent whose folder it is (e.g. import-history claude-code --path …)")
    if path and not all(p.is_dir() for p in path):
        raise fail(f"--path: no such folder: {', '.join(str(p) for p in path if not p.is_dir())}")
    roots: list[Path] = []
    files: list[HistoryFile] = []
    for name in agents:
        found_roots, found = history_of(name, os.environ, Path.home(), list(path) if path else None)
        roots += found_roots
        files += found
    with (
        quiet_app() as app,
        Progress(
            TextColumn("importing agent history"),
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
    where = ", ".join(escape(str(r)) for r in roots) or "no agent folder (nothing to import)"
    console.print(
        f"{verb} {report.created} new session(s), completed {report.completed}, {report.unchanged} unchanged, "
        f"{report.tokens:,} tokens, from {report.files} transcript(s) in {where}",
        highlight=False,
    )
    for file, why in report.skipped:
        console.print(f"skipped {escape(file)}: {escape(why)}", highlight=False)


def offer_history(agent: str, out: Console) -> None:
    """After `aidis setup`: once per agent and data folder, offer to import what the agent kept before
    AIDIS (asked on a terminal, else the command to run is printed)."""
    if agent not in LOCATIONS:
        return
    from aidis.config import load_settings

    settings = load_settings()
    marker = settings.data_dir / "history-offered" / agent
    if marker.exists():
        return
    _, files = history_of(agent, os.environ, Path.home())
    if not files:
        return
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("offered\n")
    command = f"aidis import-history {agent}"
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        out.print(
            f"{len(files)} {agent} transcript(s) from before AIDIS found: `{command}` imports them (tokens, cost, activity).",
            soft_wrap=True,
        )
        return
    if typer.confirm(f"Import the {len(files)} {agent} transcript(s) kept before AIDIS now?", default=True):
        import_history_command(agent=agent, since=None, dry_run=False, path=None, as_json=False)
    else:
        out.print(f"later: `{command}`")
