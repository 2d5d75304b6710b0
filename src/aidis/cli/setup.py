"""`aidis setup <agent>`: connect an agent to AIDIS by editing its own configuration files."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from aidis.agents import claude_code, codex, cursor, gemini_cli
from aidis.agents.files import FileChange
from aidis.cli.common import fail
from aidis.cli.history import offer_history
from aidis.errors import AidisError

PLANS = {
    "claude-code": claude_code.plan,
    "codex": codex.plan,
    "gemini-cli": gemini_cli.plan,
    "cursor": cursor.plan,
}
AFTER = {
    "claude-code": "Claude Code will start `aidis mcp` and run `aidis hook claude-code` in new sessions.",
    "codex": "Codex will start `aidis mcp` and run `aidis hook codex`. " + codex.TRUST_NOTE,
    "gemini-cli": "Gemini CLI will start `aidis mcp` and run `aidis hook gemini-cli`. "
    + gemini_cli.TRUST_NOTE,
    "cursor": "Cursor will start `aidis mcp` in your workspaces.",
}


def aidis_command() -> str:
    """The absolute path of this `aidis` (agents start it without our PATH)."""
    beside = Path(sys.executable).parent / "aidis"
    if beside.exists():
        return str(beside)
    return shutil.which("aidis") or "aidis"


def setup(
    agent: Annotated[str, typer.Argument(help="claude-code, codex, gemini-cli or cursor")],
    scope: Annotated[str, typer.Option(help="user (every project) or project (this folder)")] = "user",
    project: Annotated[Path, typer.Option(help="The project folder for --scope project")] = Path(),
    dry_run: Annotated[bool, typer.Option(help="Show the changes, write nothing")] = False,
    uninstall: Annotated[bool, typer.Option(help="Remove exactly what setup added")] = False,
) -> None:
    """Add AIDIS (the MCP server, and lifecycle hooks for Claude Code, Codex and Gemini CLI) to an agent.

    Merges into the agent's own files, keeps every unrelated entry, backs each file up before
    writing, prints the diff; running it twice changes nothing.
    """
    if agent not in PLANS:
        raise fail(f"unknown agent {agent!r}; choose one of: {', '.join(PLANS)}")
    if scope not in ("user", "project"):
        raise fail(f"unknown scope {scope!r}; use user or project")
    # a project's files are committed and run on teammates' machines: they name `aidis` on the PATH,
    # never this machine's virtual environment
    command = "aidis" if scope == "project" else aidis_command()
    try:
        changes: list[FileChange] = PLANS[agent](
            command, scope=scope, home=Path.home(), project=project.resolve(), uninstall=uninstall
        )
    except AidisError as exc:
        raise fail(exc.message) from exc
    out = Console()
    if not any(c.changed for c in changes):
        out.print(f"{agent}: nothing to change ({'not installed' if uninstall else 'already set up'})")
        return
    for change in changes:
        if not change.changed:
            continue
        print_diff(out, change.diff())
        if dry_run:
            continue
        backup = change.write()
        out.print(f"wrote {change.path}" + (f" (backup: {backup})" if backup else ""))
    if dry_run:
        out.print("dry run: nothing was written")
        return
    if scope == "project" and not uninstall and shutil.which("aidis") is None:
        out.print(
            "[yellow]note:[/yellow] the project files run `aidis` from the PATH, and this shell has none: "
            "install it as a tool (`pipx install …` or `uv tool install …`) on every machine that uses them",
            soft_wrap=True,
        )
    if not uninstall:
        _prepare_database(out)
        out.print(AFTER[agent], soft_wrap=True)
        offer_history(agent, out)


def print_diff(out: Console, diff: str) -> None:
    """A unified diff, coloured, each line whole (the terminal wraps a long line; nothing is cut)."""
    styles = {"+": "green", "-": "red", "@": "cyan"}
    for line in diff.splitlines():
        style = styles.get(line[:1], "")
        text = escape(line)
        out.print(f"[{style}]{text}[/{style}]" if style else text, soft_wrap=True, highlight=False)


def _prepare_database(out: Console) -> None:
    """Migrate now, so the agent's first start does not wait for it (agents give servers little time)."""
    from aidis.app import build_app
    from aidis.config import load_settings

    try:
        settings = load_settings()
        app = build_app(settings)
    except AidisError as exc:
        out.print(
            f"[yellow]warning:[/yellow] the database is not ready yet: {escape(exc.message)}", soft_wrap=True
        )
        return
    app.close()
    out.print(f"database ready: {app.engine.url.render_as_string(hide_password=True)}")
