"""`aidis bench`: latency, throughput, memory and start-up of real servers, printed next to the
targets (ratios to a no-op server measured in the same run)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated

import anyio
import typer
from rich.console import Console

from aidis.cli.common import err, fail, settings
from aidis.telemetry import configure_logging

# p50 over stdio as a multiple of the no-op floor: (tool, engine) → target. Searches at 100k contexts.
TARGETS: dict[tuple[str, str], float] = {
    ("session_status", "sqlite"): 1.4,
    ("session_status", "postgresql"): 1.8,
    ("context_store", "sqlite"): 1.6,
    ("context_store", "postgresql"): 2.2,
    ("session_new", "sqlite"): 2.5,
    ("session_new", "postgresql"): 3.0,
    ("context_search", "sqlite"): 2.0,
    ("context_search", "postgresql"): 2.5,
    ("context_search broad", "sqlite"): 3.0,  # a query matching every context
    ("context_search broad", "postgresql"): 4.0,
}
# calls/s at the highest concurrency as a fraction of the no-op server's: (server, engine) → target.
THROUGHPUT_TARGETS: dict[tuple[str, str], float] = {
    ("aidis serve", "sqlite"): 0.5,
    ("aidis serve", "postgresql"): 0.5,
    ("aidis serve --workers 2", "postgresql"): 0.8,
}
STARTUP_BUDGET_MS = {"aidis mcp (sqlite)": 150, "aidis mcp (postgresql)": 250}


def _target(engine: str, transport: str, tool: str, contexts: int | None, ratio: float | None) -> str:
    """'≤ 1.4× met' / '≤ 1.4× missed' for the rows the targets name, else ''."""
    target = TARGETS.get((tool, engine))
    if transport != "stdio" or target is None or ratio is None:
        return ""
    if tool.startswith("context_search") and contexts != 100_000:
        return f"(≤ {target}× at 100k)"
    return f"≤ {target}× {'met' if ratio <= target else 'missed'}"


def bench_command(
    quick: Annotated[bool, typer.Option(help="A seconds-long run of every step (small sizes)")] = False,
    engine: Annotated[list[str] | None, typer.Option(help="sqlite and/or postgresql (default both)")] = None,
    calls: Annotated[int | None, typer.Option(min=5, max=100_000, help="Timed calls per tool")] = None,
    contexts: Annotated[list[int] | None, typer.Option(help="Context counts to search at")] = None,
    concurrency: Annotated[list[int] | None, typer.Option(help="Concurrent HTTP connections")] = None,
    duration: Annotated[
        float | None, typer.Option(min=0.1, max=3600, help="Seconds per throughput run")
    ] = None,
    postgres_admin_url: Annotated[str, typer.Option(help="Where to create the PostgreSQL bench database")] = (
        "postgresql://postgres@127.0.0.1:5432/postgres"
    ),
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the results as JSON here")
    ] = None,
    scale: Annotated[
        bool,
        typer.Option(help="Instead: backfill, check, dashboard and API at --sessions sessions (minutes)"),
    ] = False,
    sessions: Annotated[
        int, typer.Option(min=100, max=100_000_000, help="Sessions generated for --scale (10 events each)")
    ] = 1_000_000,
    reuse: Annotated[
        bool,
        typer.Option(
            help="With --scale: keep the generated data set and run on a copy of it (generated once)"
        ),
    ] = False,
    forget: Annotated[
        bool, typer.Option(help="With --scale: drop the data set --reuse kept for --sessions, and stop")
    ] = False,
) -> None:
    """Latency (p50/p95/p99), throughput and peak RSS of real AIDIS servers over stdio and HTTP;
    with --scale, backfill, check and dashboard/API times at a million sessions."""
    import json

    from rich.table import Table

    from aidis.bench.runner import BenchConfig, run_bench

    engines = engine or ["sqlite", "postgresql"]
    for name in engines:
        if name not in ("sqlite", "postgresql"):
            raise fail(f"unknown engine {name!r}; use sqlite or postgresql")
    if (reuse or forget) and not scale:
        raise fail("--reuse and --forget go with --scale")
    if scale and forget:
        _forget(engines, sessions, postgres_admin_url)
        return
    if scale:
        _scale(engines, sessions, postgres_admin_url, json_out, reuse=reuse)
        return
    config = BenchConfig.quick(engines, postgres_admin_url) if quick else BenchConfig(engines=engines)
    config.postgres_admin_url = postgres_admin_url
    for key, value in (
        ("calls", calls),
        ("context_sizes", contexts),
        ("concurrency", concurrency),
        ("duration", duration),
    ):
        if value:
            setattr(config, key, value)
    configure_logging("WARNING", json_logs=False)
    report = anyio.run(run_bench, config, _progress_line)
    latency = Table(
        title="Latency (official MCP SDK client; ratio = p50 / p50 of no-op calls interleaved with it, same transport)"
    )
    for column in (
        "engine",
        "transport",
        "tool",
        "contexts",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "calls/s",
        "× floor",
        "target",
    ):
        latency.add_column(column, justify="left" if column in ("engine", "transport", "tool") else "right")
    for row in report.latency:
        latency.add_row(
            row.engine,
            row.transport,
            row.tool,
            str(row.contexts or ""),
            f"{row.p50_ms:.2f}",
            f"{row.p95_ms:.2f}",
            f"{row.p99_ms:.2f}",
            f"{row.calls_per_s:.0f}",
            str(row.ratio_to_floor or ""),
            _target(row.engine, row.transport, row.tool, row.contexts, row.ratio_to_floor),
        )
    throughput = Table(
        title="Throughput: concurrent HTTP MCP connections (context_store / session_status mix)"
    )
    for column in (
        "engine",
        "server",
        "connections",
        "calls",
        "errors",
        "seconds",
        "calls/s",
        "× floor",
        "target",
    ):
        throughput.add_column(column, justify="left" if column in ("engine", "server") else "right")
    for t in report.throughput:
        goal = THROUGHPUT_TARGETS.get((t.server, t.engine))
        verdict = (
            f"≥ {goal}× {'met' if t.ratio_to_floor >= goal else 'missed'}"
            if goal and t.ratio_to_floor
            else ""
        )
        throughput.add_row(
            t.engine,
            t.server,
            str(t.connections),
            str(t.calls),
            str(t.errors),
            str(t.seconds),
            str(t.calls_per_s),
            str(t.ratio_to_floor or ""),
            verdict,
        )
    out = Console()
    out.print(latency)
    out.print(throughput)
    for name, mb in report.peak_rss_mb.items():
        out.print(f"peak RSS {name}: {mb} MiB (target < 150: {'met' if mb < 150 else 'missed'})")
    floor_ms = report.startup_ms.get("no-op server")
    for name, ms in report.startup_ms.items():
        budget = STARTUP_BUDGET_MS.get(name)
        verdict = ""
        if budget is not None and floor_ms is not None:
            verdict = f" (+{ms - floor_ms:.0f} ms over the no-op; target ≤ +{budget} ms: {'met' if ms - floor_ms <= budget else 'missed'})"
        out.print(f"start-up, process start → initialize answered: {name} {ms} ms{verdict}")
    out.print(f"tools/list: {report.tools_list_chars} characters (target < 20,000)")
    typer.echo(json.dumps(report.to_dict()))
    if json_out is not None:
        json_out.write_text(json.dumps(report.to_dict(), indent=2))


def _progress_line(step: str) -> None:
    """One dim progress line on stderr."""
    err.print(f"[dim]… {step}[/dim]")


def _kept_folder() -> Path:
    return settings().data_dir / "bench"


def _forget(engines: list[str], sessions: int, admin_url: str) -> None:
    """Drop the data sets `--reuse` kept for this size."""
    from aidis.bench.kept_datasets import forget, template_name

    name = template_name(sessions, 10)
    for engine in engines:
        dropped = forget(engine, admin_url, _kept_folder(), name)
        typer.echo(f"{engine}: {'dropped' if dropped else 'nothing kept as'} {name}")


def _scale(
    engines: list[str], sessions: int, admin_url: str, json_out: Path | None, *, reuse: bool = False
) -> None:
    """Run and print `aidis bench --scale`."""
    import json

    from rich.table import Table

    from aidis.bench.scale import JOB_TARGET_S, PAGE_TARGET_MS, run_scale_bench

    configure_logging("WARNING", json_logs=False)
    results = anyio.run(
        partial(
            run_scale_bench,
            engines,
            sessions=sessions,
            admin_url=admin_url,
            progress=_progress_line,
            keep_in=_kept_folder() if reuse else None,
        )
    )
    table = Table(title=f"At scale: {sessions:,} sessions (server time, median)")
    for column in ("engine", "what", "time", "target"):
        table.add_column(column, justify="right" if column == "time" else "left")
    for r in results:
        for what, seconds in (
            (f"aidis backfill ({r.assigned:,} assigned, {r.kept_unassigned:,} kept)", r.backfill_s),
            (f"aidis check ({r.events:,} events; clean={r.check_clean})", r.check_s),
        ):
            table.add_row(
                r.engine,
                what,
                f"{seconds} s",
                f"< {JOB_TARGET_S:.0f} s {'met' if seconds < JOB_TARGET_S else 'missed'}",
            )
        for page, ms in r.pages_ms.items():
            table.add_row(
                r.engine,
                page,
                f"{ms} ms",
                f"< {PAGE_TARGET_MS:.0f} ms {'met' if ms < PAGE_TARGET_MS else 'missed'}",
            )
    Console().print(table)
    data = [r.to_dict() for r in results]
    typer.echo(json.dumps(data))
    if json_out is not None:
        json_out.write_text(json.dumps(data, indent=2))
