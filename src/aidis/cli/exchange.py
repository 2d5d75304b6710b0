"""`aidis export`, `aidis import-export` and `aidis prune`: take memory elsewhere, bring it in, let
old material go. Progress bars on stderr; the result on stdout."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from aidis.cli.common import err, fail, quiet_app


class ExportFormat(StrEnum):
    """What `aidis export` writes."""

    JSONL = "jsonl"
    MARKDOWN = "markdown"


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
    except ValueError:
        raise fail(f"--since: {value!r} is not a date like 2026-01-31") from None


def export_command(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File (jsonl; default: stdout) or folder (markdown; required)"),
    ] = None,
    project: Annotated[
        str | None, typer.Option("--project", "-p", help="Only this project (name or id)")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only sessions started on or after this date (YYYY-MM-DD)")
    ] = None,
    export_format: Annotated[
        ExportFormat, typer.Option("--format", help="jsonl or markdown")
    ] = ExportFormat.JSONL,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON (on stderr)")] = False,
) -> None:
    """Write projects, sessions (with summaries and changes), contexts (with revisions) and events."""
    if export_format == ExportFormat.MARKDOWN and output is None:
        raise fail("--output: markdown needs a folder to write into")
    with quiet_app() as app:
        scope = app.exports.scope(project, _since(since))
        totals = app.exports.counts(scope)
        with Progress(console=err, transient=True) as bars:
            tasks = {kind: bars.add_task(kind, total=n) for kind, n in totals.items()}

            def advance(kind: str, n: int) -> None:
                bars.advance(tasks[kind], n)

            if export_format == ExportFormat.MARKDOWN:
                assert output is not None
                report = app.exports.write_markdown(scope, output, advance)
            elif output is None:
                report = app.exports.write_jsonl(scope, sys.stdout, advance)
            else:
                with output.open("w", encoding="utf-8") as out:
                    report = app.exports.write_jsonl(scope, out, advance)
    if as_json:  # stdout may be the export itself: the report goes to stderr
        body: dict[str, object] = {"counts": report.counts, "digest": report.digest}
        if export_format == ExportFormat.MARKDOWN:
            body["files"] = report.files
        typer.echo(json.dumps(body, indent=2), err=True)
        return
    summary = ", ".join(f"{n} {kind}s" for kind, n in report.counts.items()) or "nothing"
    err.print(
        f"exported {summary}; digest {report.digest[:16]}"
        + (f"; {report.files} files" if export_format == ExportFormat.MARKDOWN else "")
    )


def import_export_command(
    file: Annotated[
        Path, typer.Argument(help="A file written by `aidis export` (jsonl)", exists=True, dir_okay=False)
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Load an `aidis export` file into this database (either engine); loading it again changes nothing."""
    lines_total = sum(1 for _ in file.open(encoding="utf-8"))
    with (
        quiet_app() as app,
        file.open(encoding="utf-8") as source,
        Progress(console=err, transient=True) as bars,
    ):
        task = bars.add_task("records", total=max(lines_total - 2, 0))
        report = app.export_importer.load(source, lambda _kind, n: bars.advance(task, n))
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "inserted": report.inserted,
                    "skipped": report.skipped,
                    "renumbered_sessions": report.renumbered_sessions,
                    "merged_projects": report.merged_projects,
                },
                indent=2,
            )
        )
        return
    inserted = ", ".join(f"{n} {k}s" for k, n in report.inserted.items() if n) or "nothing new"
    skipped = sum(report.skipped.values())
    typer.echo(
        f"imported {inserted}; {skipped} already here"
        + (f"; {report.renumbered_sessions} sessions renumbered" if report.renumbered_sessions else "")
    )


def prune_command(
    older_than: Annotated[str, typer.Option("--older-than", help="Age like 180d, 12w or 36h")],
    project: Annotated[str | None, typer.Option("--project", "-p", help="Only this project")] = None,
    what: Annotated[
        str, typer.Option(help="contexts, events, or both (comma-separated)")
    ] = "contexts,events",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would go")] = False,
    audit: Annotated[
        bool, typer.Option("--audit", help="Also let audit entries older than the cut-off go (the only way)")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Delete contexts and work events older than the cut-off (sessions, lifecycle events and summaries stay)."""
    kinds = tuple(part.strip() for part in what.split(",") if part.strip())
    with quiet_app() as app:
        report = app.retention.prune(older_than, project=project, what=kinds, dry_run=dry_run)
        audited = app.audit.prune(datetime.fromisoformat(report.cutoff)) if audit and not dry_run else None
    if as_json:
        body = {
            "dry_run": report.dry_run,
            "cutoff": report.cutoff,
            "counts": report.counts,
            "audit_entries": audited,
        }
        typer.echo(json.dumps(body, indent=2))
        return
    verb = "would delete" if report.dry_run else "deleted"
    typer.echo(
        f"{verb} "
        + ", ".join(f"{n} {k}" for k, n in report.counts.items())
        + f" older than {report.cutoff}"
        + (f"; {audited} audit entries" if audited is not None else "")
    )
