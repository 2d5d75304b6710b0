"""`aidis`: serve, mcp (stdio), db upgrade/current, version."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from aidis import __version__
from aidis.cli.backfill import backfill_command
from aidis.cli.bench import bench_command
from aidis.cli.common import build, err, fail, internal_error_log
from aidis.cli.common import settings as settings_from_env
from aidis.cli.db_roles import db_cli, team_privilege_warning
from aidis.cli.demo import demo_data_command
from aidis.cli.embeddings import embed_command
from aidis.cli.exchange import export_command, import_export_command, prune_command
from aidis.cli.history import import_history_command
from aidis.cli.memory import contexts_cli, search_command
from aidis.cli.projects import projects_cli
from aidis.cli.sessions import sessions_cli
from aidis.cli.setup import setup as setup_command
from aidis.cli.team import audit_command, grants_cli, tokens_cli, users_cli
from aidis.cli.usage import usage_cli
from aidis.config import Settings, with_overrides
from aidis.errors import AidisError
from aidis.telemetry import configure_logging, install_tracing_from_env

cli = typer.Typer(
    name="aidis",
    help="AIDIS: project-scoped memory and session records for AI agents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(shown: bool) -> None:
    if shown:
        typer.echo(f"aidis {__version__}")
        raise typer.Exit


@cli.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit")
    ] = False,
) -> None:
    """AIDIS: project-scoped memory and session records for AI agents."""


# `aidis --help` groups commands by what they are for
RUN, MEMORY, WORK, USAGE, TEAM, DATA, OPS = (
    "Run and connect",
    "Memory",
    "Sessions and projects",
    "Usage and cost",
    "Team",
    "Data in and out",
    "Operations",
)
cli.command("setup", rich_help_panel=RUN)(setup_command)
cli.command("search", rich_help_panel=MEMORY)(search_command)
cli.add_typer(contexts_cli, name="contexts", rich_help_panel=MEMORY)
cli.command("embed", rich_help_panel=MEMORY)(embed_command)
cli.command("backfill", rich_help_panel=WORK)(backfill_command)
cli.command("demo-data", rich_help_panel=DATA)(demo_data_command)
cli.add_typer(sessions_cli, name="sessions", rich_help_panel=WORK)
cli.add_typer(projects_cli, name="projects", rich_help_panel=WORK)
cli.add_typer(usage_cli, name="usage", rich_help_panel=USAGE)
cli.command("import-history", rich_help_panel=USAGE)(import_history_command)
cli.command("export", rich_help_panel=DATA)(export_command)
cli.command("import-export", rich_help_panel=DATA)(import_export_command)
cli.command("prune", rich_help_panel=DATA)(prune_command)
cli.add_typer(users_cli, name="users", rich_help_panel=TEAM)
cli.add_typer(tokens_cli, name="tokens", rich_help_panel=TEAM)
cli.add_typer(grants_cli, name="grants", rich_help_panel=TEAM)
cli.command("audit", rich_help_panel=TEAM)(audit_command)
cli.add_typer(db_cli, name="db", rich_help_panel=OPS)
cli.command("bench", rich_help_panel=OPS)(bench_command)


def _configure_logging(settings: Settings) -> None:
    configure_logging(settings.log_level, json_logs=settings.json_logs)


@cli.command(rich_help_panel=OPS)
def version(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """Print the AIDIS version."""
    typer.echo(json.dumps({"version": __version__}) if as_json else __version__)


@cli.command(rich_help_panel=RUN)
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default AIDIS_HOST or 127.0.0.1)")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default AIDIS_PORT or 8765)")
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes (more than 1 serves MCP statelessly)")
    ] = 1,
) -> None:
    """Run the HTTP server: dashboard, API, health, and MCP (streamable HTTP) at /mcp."""
    import os

    import uvicorn

    from aidis.cli.ports import port_in_use
    from aidis.web.app import create_web_app
    from aidis.web.security import require_token_for_bind

    settings = settings_from_env()
    updates: dict[str, Any] = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    if workers > 1:
        updates["mcp_stateless"] = True  # a worker must answer requests of connections another one began
    try:
        settings = with_overrides(settings, updates)
    except AidisError as exc:
        raise fail(exc.message) from exc
    try:
        require_token_for_bind(settings.host, settings.auth_token, settings.allowed_hosts)
    except AidisError as exc:
        raise fail(exc.message) from exc
    busy = port_in_use(settings.host, settings.port)
    if busy is not None:  # before the banner and the database: one line, exit 2
        raise fail(busy)
    _configure_logging(settings)
    mode = (
        f"{workers} workers, stateless MCP"
        if workers > 1
        else ("stateless MCP" if settings.mcp_stateless else "")
    )
    if workers > 1:
        build(settings).close()  # migrate once, here, before any worker starts
        os.environ.update(
            {"AIDIS_HOST": settings.host, "AIDIS_PORT": str(settings.port), "AIDIS_MCP_STATELESS": "true"}
        )
        err.print(f"AIDIS {__version__} on http://{settings.host}:{settings.port}/  (MCP: /mcp, {mode})")
        uvicorn.run(
            "aidis.web.asgi:create_from_env",
            factory=True,
            workers=workers,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level.lower(),
            log_config=None,
        )
        return
    provider = install_tracing_from_env()
    app = build(settings)
    warning = team_privilege_warning(app)
    if warning:
        err.print(f"[yellow]warning:[/yellow] {warning}", soft_wrap=True, highlight=False)
    suffix = f", {mode}" if mode else ""
    err.print(
        f"AIDIS {__version__} on http://{settings.host}:{settings.port}/  (MCP: /mcp, database: {app.engine_name}{suffix})"
    )
    try:
        uvicorn.run(
            create_web_app(app),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level.lower(),
            log_config=None,  # keep AIDIS's logging (JSON when not on a terminal)
        )
    finally:
        app.close()
        if provider is not None:
            provider.shutdown()


@cli.command(rich_help_panel=RUN)
def mcp() -> None:
    """Serve MCP over stdio (for `claude mcp add aidis -- aidis mcp`, Claude Desktop, Cursor)."""
    from aidis.mcp.stdio import serve_stdio

    code = serve_stdio()
    if code:
        raise typer.Exit(code=code)


@cli.command(rich_help_panel=RUN)
def hook(agent: Annotated[str, typer.Argument(help="claude-code")]) -> None:
    """Handle one agent hook event (JSON on stdin); always exits 0. `aidis setup` configures it."""
    from aidis.hooks.fastpath import main as hook_main

    raise typer.Exit(code=hook_main([agent]))


@cli.command("import-legacy", rich_help_panel=DATA)
def import_legacy(
    source_url: Annotated[
        str, typer.Argument(help="postgresql:// URL of the TypeScript AIDIS database (read only)")
    ],
    dry_run: Annotated[
        bool, typer.Option(help="Do all the work, show the summary, then roll it back")
    ] = False,
) -> None:
    """Copy a TypeScript-AIDIS database into this one. Running it again imports nothing new."""
    from rich.progress import Progress
    from rich.table import Table

    settings = settings_from_env()
    _configure_logging(settings.model_copy(update={"log_level": "ERROR"}))
    app = build(settings)
    try:
        with Progress(console=err) as progress:
            tasks: dict[str, Any] = {}

            def advance(table: str, done: int, total: int) -> None:
                if table not in tasks:
                    tasks[table] = progress.add_task(table, total=total)
                progress.update(tasks[table], completed=done)

            report = app.importer.run(source_url, dry_run=dry_run, progress=advance)
    except AidisError as exc:
        raise fail(exc.message) from exc
    finally:
        app.close()
    table = Table(title=f"import {report.run_id}" + (" (dry run: nothing written)" if report.dry_run else ""))
    for column in ("table", "in source", "imported before", "imported now", "reconciled", "notes"):
        table.add_column(column, justify="left" if column in ("table", "notes") else "right")
    for name, summary in report.tables.items():
        notes = "; ".join(f"{k}: {v}" for k, v in summary.notes.items())
        table.add_row(
            name,
            str(summary.source),
            str(summary.already),
            str(summary.imported),
            "yes" if summary.reconciled else "NO",
            notes,
        )
    Console().print(table)
    if not all(s.reconciled for s in report.tables.values()):
        raise typer.Exit(code=1)


@cli.command(rich_help_panel=OPS)
def check(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    fix: Annotated[bool, typer.Option(help="Repair what is safely repairable, then check again")] = False,
    prometheus_textfile: Annotated[
        Path | None, typer.Option(help="Also write the counts for node_exporter's textfile collector")
    ] = None,
) -> None:
    """Integrity assertions; exit code 0 when clean, 1 when something is violated (for cron)."""
    import json

    from prometheus_client import write_to_textfile
    from rich.table import Table

    settings = settings_from_env()
    _configure_logging(settings.model_copy(update={"log_level": "ERROR"}))
    app = build(settings)
    try:
        report = app.integrity.fix() if fix else app.integrity.check()
    except AidisError as exc:
        raise fail(exc.message) from exc
    finally:
        app.close()
    if prometheus_textfile is not None:
        write_to_textfile(str(prometheus_textfile), app.telemetry.metrics.registry)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        table = Table(title="aidis check" + (" --fix" if fix else ""))
        for column in ("check", "violations", "examples", "fixed"):
            table.add_column(column)
        for result in report.checks:
            table.add_row(
                result.description,
                str(result.violations),
                ", ".join(result.samples[:3]),
                str(report.fixes.get(result.name, ""))
                if fix
                else ("fixable" if result.fixable and result.violations else ""),
            )
        Console().print(table)
        for note in report.notes:
            Console().print(f"note: {note}", highlight=False)
        typer.echo("clean" if report.clean else "VIOLATIONS FOUND")
    if not report.clean:
        raise typer.Exit(code=1)


def main() -> None:
    """Console-script entry point: every failure is one line on stderr and exit status 2 (usage errors,
    AIDIS errors, and — with the traceback kept in a log file, never shown — anything unexpected)."""
    if len(sys.argv) <= 1:  # bare `aidis`: the help, and nothing that reads like an error
        cli(["--help"], standalone_mode=False)
        raise SystemExit(0)
    try:
        code = cli(standalone_mode=False)
    except typer.TyperException as exc:  # usage errors (typer carries its own click; these are its base)
        ctx = getattr(exc, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        format_message = getattr(exc, "format_message", None)
        message = format_message() if callable(format_message) else exc.message
        raise SystemExit(_one_line(f"{message}{hint}")) from None
    except typer.Abort:
        raise SystemExit(_one_line("aborted")) from None
    except AidisError as exc:
        raise SystemExit(_one_line(exc.message)) from None
    except Exception as exc:  # noqa: BLE001 - a bug: one line here, the traceback kept in the log file
        where = internal_error_log(exc)
        raise SystemExit(_one_line(f"internal error ({type(exc).__name__}); details in {where}")) from None
    raise SystemExit(code if isinstance(code, int) else 0)


def _one_line(message: str) -> int:
    fail(" ".join(message.split()))
    return 2


if __name__ == "__main__":
    main()
