"""`aidis backfill`: assign Unassigned sessions by the evidence they recorded, as a recorded and
revertible run (a table, or `--json` with the API's field names)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from aidis.cli.common import build, fail
from aidis.cli.common import settings as settings_from_env
from aidis.errors import AidisError
from aidis.telemetry import configure_logging


def backfill_command(
    dry_run: Annotated[bool, typer.Option(help="Show what would change, change nothing")] = False,
    min_share: Annotated[
        float, typer.Option(min=0.5, max=1.0, help="Share of a session's evidence one project needs (0.5–1]")
    ] = 1.0,
    revert: Annotated[str | None, typer.Option(help="Undo the backfill run with this id")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Assign Unassigned sessions to the project their own contexts and events name (recorded, revertible)."""
    from rich.table import Table

    settings = settings_from_env()
    configure_logging(settings.log_level, json_logs=settings.json_logs)
    app = build(settings)
    try:
        if revert is not None:
            moved = app.backfill.revert(revert)
            typer.echo(
                json.dumps({"reverted": moved, "run_id": revert})
                if as_json
                else f"reverted {moved} sessions of {revert}"
            )
            return
        report = app.backfill.run(min_share=min_share, dry_run=dry_run)
    except AidisError as exc:
        raise fail(exc.message) from exc
    finally:
        app.close()
    if as_json:
        body = {
            "run_id": report.run_id,
            "dry_run": report.dry_run,
            "candidates": report.candidates,
            "assigned": report.assigned,
            "kept_unassigned": report.kept_unassigned,
            "by_project": dict(report.by_project),
        }
        typer.echo(json.dumps(body, indent=2))
        return
    table = Table(
        title=f"backfill {report.run_id}" + (" (dry run: nothing written)" if report.dry_run else "")
    )
    table.add_column("project")
    table.add_column("sessions assigned", justify="right")
    for name, count in report.by_project:
        table.add_row(name, str(count))
    Console().print(table)
    typer.echo(
        f"{report.candidates} Unassigned sessions looked at, {report.assigned} assigned, "
        f"{report.kept_unassigned} kept Unassigned (no, split or weak evidence)."
    )
    if not report.dry_run and report.assigned:
        typer.echo(f"Undo with: aidis backfill --revert {report.run_id}")
