"""`aidis usage daily|weekly|monthly|session|project`: tokens and cost from the agents' own transcripts,
in the shapes a `ccusage` user knows, per project as well (thin: parse → UsageService → table or JSON)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from aidis.cli.common import quiet_app
from aidis.enums import UsageShape
from aidis.schemas import UsageLineOut, UsageReportOut

usage_cli = typer.Typer(
    help="Tokens and cost by day, week, month, session or project (from the agents' transcripts).",
    no_args_is_help=True,
)

Since = Annotated[
    str | None, typer.Option("--since", help="First day, YYYY-MM-DD or YYYYMMDD (in --timezone)")
]
Until = Annotated[str | None, typer.Option("--until", help="Last day, inclusive")]
ProjectOpt = Annotated[str | None, typer.Option("--project", "-p", help="Project name or id")]
AgentOpt = Annotated[str | None, typer.Option("--agent", help="claude-code, codex, gemini-cli, …")]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Only this model")]
PersonOpt = Annotated[str | None, typer.Option("--person", help="Only this person's sessions (team)")]
Breakdown = Annotated[bool, typer.Option("--breakdown", "-b", help="A line per model under each line")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]
TimezoneOpt = Annotated[
    str, typer.Option("--timezone", "-z", help="IANA time zone days are cut in (default: this machine's)")
]


def _day(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    text = value.strip()
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a day (YYYY-MM-DD)", param_hint=field) from None


def _run(
    shape: UsageShape,
    since: str | None,
    until: str | None,
    project: str | None,
    agent: str | None,
    model: str | None,
    person: str | None,
    breakdown: bool,
    as_json: bool,
    timezone: str,
) -> None:
    first, last = _day(since, "--since"), _day(until, "--until")
    with quiet_app() as app:
        app.usage.prepare_days()  # per-day sums of AIDIS_USAGE_ZONES (a zone newly named: once)
        report = app.usage.report(
            shape,
            since=first,
            until=last,
            project=project,
            agent=agent,
            model=model,
            person=person,
            timezone=timezone,
            breakdown=breakdown,
        )
    out = UsageReportOut.of(report)
    if as_json:
        typer.echo(json.dumps(out.model_dump(mode="json"), indent=2))
        return
    _print(out, shape)


def _print(out: UsageReportOut, shape: UsageShape) -> None:
    heading = {
        "daily": "day",
        "weekly": "week of",
        "monthly": "month",
        "session": "session",
        "project": "project",
    }
    table = Table(title=f"usage by {shape.value} ({out.timezone}; prices: {out.price_data})")
    table.add_column(heading[shape.value], no_wrap=True)
    if shape is UsageShape.SESSION:
        table.add_column("project")
    for column in ("input", "output", "cache write", "cache read", "total tokens", "cost (USD)"):
        table.add_column(column, justify="right")
    table.add_column("models")

    def add(line: UsageLineOut, label: str) -> None:
        cost = "unpriced" if line.cost_usd is None else f"{line.cost_usd:,.4f}"
        if line.unpriced_tokens and line.cost_usd is not None:
            cost += f" + {line.unpriced_tokens:,} unpriced tokens"
        cells = [escape(label)] + ([escape(line.project or "")] if shape is UsageShape.SESSION else [])
        counts = (line.input_tokens, line.output_tokens, line.cache_write_tokens, line.cache_read_tokens)
        cells += [f"{n:,}" for n in counts] + [f"{line.total_tokens:,}", cost, escape(", ".join(line.models))]
        table.add_row(*cells)

    for line in out.items:
        add(line, line.key)
        for part in line.breakdown:
            add(part, f"  └ {part.key}")
    if out.items:
        table.add_section()
        add(out.total, "total")
    console = Console()
    console.print(table)
    if not out.items:
        console.print(
            "no usage recorded yet in this range (tokens come from the agents' transcripts via hooks)"
        )
    if out.total.unpriced_models:
        console.print(
            f"unpriced (no price data; add them to AIDIS_PRICES_FILE): {', '.join(out.total.unpriced_models)}",
            highlight=False,
        )


def _command(shape: UsageShape) -> None:
    def command(
        since: Since = None,
        until: Until = None,
        project: ProjectOpt = None,
        agent: AgentOpt = None,
        model: ModelOpt = None,
        person: PersonOpt = None,
        breakdown: Breakdown = False,
        as_json: JsonFlag = False,
        timezone: TimezoneOpt = "local",
    ) -> None:
        _run(shape, since, until, project, agent, model, person, breakdown, as_json, timezone)

    command.__doc__ = (
        f"Tokens and cost by {shape.value.removesuffix('ly') if shape.value != 'daily' else 'day'}."
    )
    usage_cli.command(shape.value)(command)


for _shape in UsageShape:
    _command(_shape)
