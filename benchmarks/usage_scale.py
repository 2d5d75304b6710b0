"""Usage reports and the Usage page at scale, on a generated database (created and dropped here).

    python benchmarks/usage_scale.py [--sessions 1000000] [--engine sqlite|postgresql] [--runs 7]

Generates `--sessions` ended sessions over a year (20 projects, three agents, about three usage rows a
session: one per model and hour, kept in the rollups by the triggers, as in real use), then times the
service calls behind `aidis usage` / `GET /api/v1/usage` and the dashboard's Usage page, in process,
median of `--runs`: daily over everything and over the last 30 days (from the rollups), per project,
the Usage page for 30 days (which lists the costliest sessions, so it reads session rows), and per
session for one day; days are read from the per-day sums of the kept zones (UTC and New York here),
and from the hours in a zone not kept (Tokyo). Target (issue 33): ≤ 100 ms each at a million sessions, on both engines.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from aidis.app import build_app
from aidis.bench.runner import scratch_database
from aidis.config import Settings
from aidis.db.schema import projects, session_usage, sessions
from aidis.enums import UsageShape
from aidis.services.sessions.display_ids import format_display_id

MODELS = {
    "claude-code": ("claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"),
    "codex": ("gpt-5-codex", "gpt-5"),
    "gemini-cli": ("gemini-2.5-pro", "gemini-2.5-flash"),
}
BATCH = 20_000


def _fill(app_engine: object, count: int, end: datetime, seed: int = 3) -> None:
    rng = random.Random(seed)
    engine = app_engine
    start = end - timedelta(days=365)
    with engine.begin() as conn:  # type: ignore[attr-defined]
        project_ids = [uuid.uuid4() for _ in range(20)]
        conn.execute(
            insert(projects),
            [
                {"id": p, "name": f"bench-{i}", "created_at": start, "updated_at": start, "metadata": {}}
                for i, p in enumerate(project_ids)
            ],
        )
    agents = list(MODELS)
    for first in range(0, count, BATCH):
        rows, usage = [], []
        for n in range(first, min(first + BATCH, count)):
            began = start + timedelta(seconds=rng.randint(0, 365 * 86400 - 7200))
            ended = began + timedelta(minutes=rng.randint(1, 90))
            sid = uuid.uuid4()
            agent = agents[n % 3]
            rows.append(
                {
                    "id": sid,
                    "display_id": format_display_id(began.year, n + 1),
                    "project_id": project_ids[n % 20],
                    "connection_id": f"bench:{n}",
                    "agent_type": agent,
                    "status": "ended",
                    "started_at": began,
                    "last_activity_at": ended,
                    "ended_at": ended,
                    "end_reason": "connection_closed",
                    "metadata": {},
                }
            )
            hour = began.replace(minute=0, second=0, microsecond=0)
            for model, later in ((MODELS[agent][0], 0), (MODELS[agent][1], 0), (MODELS[agent][0], 1)):
                usage.append(
                    {
                        "session_id": sid,
                        "hour": hour + timedelta(hours=later),
                        "model": model,
                        "input_tokens": rng.randint(100, 5000),
                        "output_tokens": rng.randint(50, 3000),
                        "cache_write_tokens": rng.randint(0, 2000),
                        "cache_read_tokens": rng.randint(0, 80000),
                        "cache_write_1h_tokens": 0,
                    }
                )
        with engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(insert(sessions), rows)
            conn.execute(insert(session_usage), usage)


def _median_ms(call: object, runs: int) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        call()  # type: ignore[operator]
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def main() -> None:
    """See the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("AIDIS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.engine, args.admin_url) as url:
        app = build_app(
            Settings(
                data_dir=Path(tmp),
                database_url=url,
                embedding_model="off",
                usage_zones="UTC,America/New_York",
            )
        )
        try:
            app.usage.prepare_days()  # as `aidis serve` does at start: days kept by the triggers from here
            today = app.clock()
            began = time.perf_counter()
            _fill(app.engine, args.sessions, today)
            print(
                f"{args.engine}: {args.sessions:,} sessions, {3 * args.sessions:,} usage rows in {time.perf_counter() - began:.0f} s"
            )
            if args.engine == "postgresql":  # what autovacuum does after a bulk load: the day sums were
                with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("VACUUM ANALYZE")  # updated 3M times by the triggers just now
            began = time.perf_counter()
            done = app.usage.reweigh()  # a restart after new models: the ranks recounted in batches
            print(f"reweigh ({len(done)} models' rates changed): {time.perf_counter() - began:.1f} s")
            last = today.date()
            first = last - timedelta(days=29)
            one_day = last - timedelta(days=3)
            cases = {
                "usage daily, all time (rollups)": lambda: app.usage.report(UsageShape.DAILY, timezone="UTC"),
                "usage daily, all time, America/New_York (kept)": lambda: app.usage.report(
                    UsageShape.DAILY, timezone="America/New_York"
                ),
                "usage daily, all time, Asia/Tokyo (not kept: from the hours)": lambda: app.usage.report(
                    UsageShape.DAILY, timezone="Asia/Tokyo"
                ),
                "usage monthly, all time": lambda: app.usage.report(UsageShape.MONTHLY, timezone="UTC"),
                "usage daily, last 30 days": lambda: app.usage.report(
                    UsageShape.DAILY, since=first, timezone="UTC"
                ),
                "usage by project, last 30 days": lambda: app.usage.report(
                    UsageShape.PROJECT, since=first, timezone="UTC"
                ),
                "Usage page, 30 days (reads sessions)": lambda: app.usage.overview(
                    first, last, timezone="UTC"
                ),
                "usage by session, one day": lambda: app.usage.report(
                    UsageShape.SESSION, since=one_day, until=one_day, timezone="UTC"
                ),
            }
            app.usage.report(UsageShape.DAILY, timezone="UTC")  # price data loaded once, as in a server
            print(f"| what | median ms of {args.runs} | target |")
            print("| --- | --- | --- |")
            for name, call in cases.items():
                print(f"| {name} | {_median_ms(call, args.runs):.0f} | ≤ 100 |")
        finally:
            app.close()


if __name__ == "__main__":
    main()
