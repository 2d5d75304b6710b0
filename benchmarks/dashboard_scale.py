"""Dashboard and API server time at scale: 1,000,000 sessions and 5,000,000 events.

    python benchmarks/dashboard_scale.py --engine sqlite      [--sessions 1000000] [--reuse]
    python benchmarks/dashboard_scale.py --engine postgresql  [--sessions 1000000] [--reuse]

Builds the data set with `aidis demo-data --bulk` logic (set-based), then times requests through the
ASGI app in-process (server time: routing, SQL, rendering; no network). Target: < 100 ms each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import func, select

from aidis.app import build_app
from aidis.config import Settings
from aidis.db.schema import analytics_events, sessions
from aidis.services.demo import generate_bulk
from aidis.web.app import create_web_app

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_NAME = "aidis_bench_scale"
SQLITE_PATH = Path(tempfile.gettempdir()) / "aidis-bench-scale" / "aidis.db"


def database_url(engine: str, reuse: bool) -> str:
    if engine == "sqlite":
        if not reuse and SQLITE_PATH.exists():
            for suffix in ("", "-wal", "-shm"):
                Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{SQLITE_PATH}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_NAME,)).fetchone()
        if exists and not reuse:
            conn.execute(f'DROP DATABASE "{PG_NAME}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{PG_NAME}"')
    return f"postgresql://postgres@127.0.0.1:5432/{PG_NAME}"


async def time_requests(web: object, paths: dict[str, str], repeats: int) -> dict[str, dict[str, float]]:
    report = {}
    transport = httpx.ASGITransport(app=web)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for name, path in paths.items():
            samples = []
            for i in range(repeats + 2):
                started = time.perf_counter()
                response = await client.get(path)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:200]}")
                if i >= 2:  # first two warm caches
                    samples.append(elapsed)
            report[name] = {"p50_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1)}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], required=True)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--events-per-session", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="keep an existing generated database")
    args = parser.parse_args()

    url = database_url(args.engine, args.reuse)
    app = build_app(Settings(database_url=url, log_level="WARNING"))
    with app.engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(sessions)).scalar_one()
    if have < args.sessions:
        started = time.perf_counter()
        generate_bulk(
            app.engine,
            now=app.clock(),
            sessions=args.sessions - have,
            events_per_session=args.events_per_session,
            days=365,
        )
        print(f"generated {args.sessions - have} sessions in {time.perf_counter() - started:.0f} s")
    with app.engine.connect() as conn:
        n_sessions = conn.execute(select(func.count()).select_from(sessions)).scalar_one()
        n_events = conn.execute(select(func.count()).select_from(analytics_events)).scalar_one()
    project = app.projects.get("bench-project-03")
    since = (app.clock() - timedelta(days=30)).date().isoformat()
    paths = {
        "sessions page, project filter": f"/sessions?project={project.id}",
        "sessions page, Unassigned": "/sessions?unassigned=1",
        "sessions API, project filter": f"/api/v1/sessions?project={project.id}",
        "per-day chart data (30 days)": f"/api/v1/stats/daily?since={since}",
        "overview page (chart + cards)": "/",
        "project page (chart + stats)": f"/projects/{project.id}",
    }
    web = create_web_app(app, run_maintenance=False)
    report = asyncio.run(time_requests(web, paths, args.repeats))
    print(
        f"{args.engine}: {n_sessions:,} sessions, {n_events:,} events; server time over {args.repeats} requests"
    )
    print(f"{'request':<34}{'p50 ms':>9}{'max ms':>9}  target < 100 ms")
    for name, row in report.items():
        verdict = "ok" if row["p50_ms"] < 100 else "MISS"
        print(f"{name:<34}{row['p50_ms']:>9}{row['max_ms']:>9}  {verdict}")
    print(json.dumps({"engine": args.engine, "sessions": n_sessions, "events": n_events, "results": report}))
    app.close()


if __name__ == "__main__":
    main()
