"""`aidis bench --scale`: the operations that must stay fast at a million sessions.

One generated data set per engine, in a database the benchmark creates and drops: `sessions`
Unassigned sessions with `events_per_session` events each whose payloads carry project evidence
(every tenth session's evidence is split, so it must stay Unassigned). On it, in order:

1. `aidis backfill` (the service the command calls) — assigns the 90 % with one clear project;
2. `aidis check` — every invariant over all sessions and events (must be clean afterwards);
3. dashboard pages and `/api/v1` list/stats, through the ASGI app in-process (server time: routing,
   SQL, rendering — no network), median of `repeats` after two warm-up requests.

Targets (issue 14): backfill and check < 30 s, every page < 100 ms.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from aidis.app import AppContext, build_app
from aidis.config import Settings
from aidis.services.operations.demo import generate_bulk

PAGE_TARGET_MS = 100.0
JOB_TARGET_S = 30.0


@dataclass
class ScaleResult:
    """One engine's figures at scale."""

    engine: str
    sessions: int
    events: int
    generate_s: float
    backfill_s: float
    assigned: int
    kept_unassigned: int
    check_s: float
    check_clean: bool
    pages_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the JSON report."""
        return asdict(self)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return round(time.perf_counter() - started, 2), result


def _paths(app: AppContext) -> dict[str, str]:
    busiest = app.projects.get("bench-project-03").id
    since = (app.clock() - timedelta(days=30)).date().isoformat()
    return {
        "overview page": "/",
        "sessions page, project filter": f"/sessions?project={busiest}",
        "sessions page, Unassigned": "/sessions?unassigned=1",
        "projects page": "/projects",
        "project page": f"/projects/{busiest}",
        "GET /api/v1/sessions?project=…": f"/api/v1/sessions?project={busiest}",
        "GET /api/v1/sessions": "/api/v1/sessions",
        "GET /api/v1/projects": "/api/v1/projects",
        "GET /api/v1/stats": "/api/v1/stats",
        "GET /api/v1/stats/daily (30 days)": f"/api/v1/stats/daily?since={since}",
    }


async def _time_pages(app: AppContext, repeats: int) -> dict[str, float]:
    from aidis.web.app import create_web_app

    web = create_web_app(app, run_maintenance=False)
    timings: dict[str, float] = {}
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        for name, path in _paths(app).items():
            samples = []
            for attempt in range(repeats + 2):
                started = time.perf_counter()
                response = await client.get(path)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:200]}")
                if attempt >= 2:  # the first two warm caches
                    samples.append(elapsed)
            timings[name] = round(statistics.median(samples), 1)
    return timings


async def run_scale(
    engine: str,
    url: str,
    *,
    sessions: int,
    events_per_session: int = 10,
    repeats: int = 9,
    progress: Callable[[str], None] = lambda _: None,
    generated: bool = False,
) -> ScaleResult:
    """Generate the data set in the (empty) database at `url` (unless it is `generated` already: a copy
    of a kept one), then time backfill, check and pages."""
    app = build_app(Settings(database_url=url, log_level="WARNING"))
    try:
        if generated:
            progress(f"{engine}: reusing the kept data set ({sessions:,} sessions)")
            generate_s, events = 0.0, sessions * events_per_session
        else:
            progress(f"{engine}: generating {sessions:,} orphan sessions × {events_per_session} events")
            generate_s, events = _timed(
                lambda: generate_bulk(
                    app.engine,
                    now=app.clock(),
                    sessions=sessions,
                    events_per_session=events_per_session,
                    orphans_with_evidence=True,
                )
            )
        progress(f"{engine}: aidis backfill")
        backfill_s, report = _timed(app.backfill.run)
        progress(f"{engine}: aidis check")
        check_s, check = _timed(app.integrity.check)
        progress(f"{engine}: dashboard and API")
        pages = await _time_pages(app, repeats)
        return ScaleResult(
            engine=engine,
            sessions=sessions,
            events=events,
            generate_s=generate_s,
            backfill_s=backfill_s,
            assigned=report.assigned,
            kept_unassigned=report.kept_unassigned,
            check_s=check_s,
            check_clean=check.clean,
            pages_ms=pages,
        )
    finally:
        app.close()


async def run_scale_bench(
    engines: list[str],
    *,
    sessions: int,
    admin_url: str,
    events_per_session: int = 10,
    progress: Callable[[str], None] = lambda _: None,
    keep_in: Path | None = None,
) -> list[ScaleResult]:
    """`run_scale` on each engine, each in a database created for it and dropped afterwards; with
    `keep_in` (`--reuse`), on a copy of a data set generated once and kept (SQLite files go there)."""
    from aidis.bench.kept_datasets import copy_of_kept, generator, template_name
    from aidis.bench.runner import scratch_database

    results = []
    for engine in engines:
        if keep_in is None:
            with scratch_database(engine, admin_url) as url:
                results.append(
                    await run_scale(
                        engine,
                        url,
                        sessions=sessions,
                        events_per_session=events_per_session,
                        progress=progress,
                    )
                )
            continue
        name = template_name(sessions, events_per_session)
        progress(f"{engine}: a copy of the kept data set {name} (generated first if not kept yet)")
        with ExitStack() as stack:
            started = time.perf_counter()
            url, _ = stack.enter_context(
                copy_of_kept(engine, admin_url, keep_in, name, generator(sessions, events_per_session))
            )
            prepared_s = round(time.perf_counter() - started, 2)  # generating (first run) or copying
            result = await run_scale(
                engine,
                url,
                sessions=sessions,
                events_per_session=events_per_session,
                progress=progress,
                generated=True,
            )
            result.generate_s = prepared_s
            results.append(result)
    return results
