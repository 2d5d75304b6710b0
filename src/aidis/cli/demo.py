"""`aidis demo-data`: a realistic demo week, quick synthetic sessions, or bulk rows for benchmarks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from aidis.app import AppContext
from aidis.cli.common import build, err
from aidis.cli.common import settings as settings_from_env
from aidis.services.operations.demo import MutableClock
from aidis.telemetry import configure_logging


def demo_data_command(
    sessions: Annotated[
        int | None,
        typer.Option(min=1, max=100_000_000, help="Instead of the week: this many quick synthetic sessions"),
    ] = None,
    days: Annotated[
        int, typer.Option(min=1, max=3650, help="With --sessions: over this many past days")
    ] = 30,
    bulk: Annotated[bool, typer.Option(help="Set-based synthetic data for benchmarks (no contexts)")] = False,
    events_per_session: Annotated[int, typer.Option(min=2, max=100, help="With --bulk")] = 5,
    projects: Annotated[int, typer.Option(min=1, max=1000, help="With --bulk")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Say what the week made as JSON")] = False,
) -> None:
    """Fill the database with demo data: a realistic week of a small team (three agents' sessions with
    what they did, tokens and cost, notes, Unassigned sessions for triage and backfill), quick synthetic
    sessions (--sessions), or --bulk (millions of rows)."""
    from rich.progress import Progress

    from aidis.services.operations.demo import MutableClock, generate_bulk, seed_realistic

    settings = settings_from_env()
    configure_logging("ERROR", json_logs=settings.json_logs)
    clock = MutableClock(datetime.now(UTC))
    app = build(settings, clock=clock)
    try:
        app.handovers.everything_changed()  # demo data is written past the services' change feed
        if not bulk and sessions is None:
            _demo_week(app, clock, settings.data_dir / "demo", as_json=as_json)
            return
        sessions = sessions or 120
        if not bulk:
            made = seed_realistic(app.engine, now=app.clock(), sessions=sessions, days=days)
            typer.echo(f"created {made} demo sessions over {days} days")
            return
        with Progress(console=err) as progress:
            task = progress.add_task("sessions", total=sessions)
            generate_bulk(
                app.engine,
                now=app.clock(),
                sessions=sessions,
                events_per_session=events_per_session,
                projects=projects,
                days=days,
                progress=lambda n: progress.advance(task, n),
            )
        typer.echo(f"generated {sessions} sessions and {sessions * events_per_session} events")
    finally:
        app.close()


def _demo_week(app: AppContext, clock: MutableClock, folder: Path, *, as_json: bool) -> None:
    """Record the demo week and say what it made."""
    from aidis.services.demo.week import describe, seed_week

    week = seed_week(app, clock, folder, now=clock.now)
    if as_json:
        typer.echo(describe(week))
        return
    typer.echo(
        f"created a demo week: {week.sessions} sessions from Claude Code, Codex and Gemini CLI with "
        f"{week.tool_events} recorded actions, {week.notes} notes, {len(week.unassigned)} sessions Unassigned "
        f"for triage and `aidis backfill`, {1 if week.moved else 0} moved; its folders and transcripts are "
        f"in {week.folder}"
    )
