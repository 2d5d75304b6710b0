"""Backfill at scale on PostgreSQL: set-based vs a one-query-per-session loop.

    python benchmarks/backfill_scale.py [--sessions 1000000] [--events-per-session 10] [--sample 50000]

1. Builds a database of `--sessions` Unassigned (orphan) sessions, each with `--events-per-session`
   events carrying legacy project evidence (90% name one project, 10% are split), and times
   `aidis backfill` (target: < 60 s for 1,000,000 sessions / 10,000,000 events).
2. Builds a `--sample`-session copy and times the same job both ways: the set-based backfill, and a
   loop doing one evidence query and one update per session (how the TypeScript AIDIS did it).
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from typing import Any

import psycopg
from sqlalchemy import text

from aidis.app import AppContext, build_app
from aidis.config import Settings
from aidis.enums import SENTINEL_PROJECT_ID

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def fresh_database(name: str) -> str:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def populate(app: AppContext, sessions: int, per_session: int) -> None:
    """Orphan sessions and their evidence-carrying events, generated set-based in PostgreSQL."""
    project_ids = [str(app.projects.create(f"p{i:02d}").id) for i in range(20)]
    with app.engine.begin() as conn:
        conn.execute(
            text("""
            INSERT INTO sessions (id, display_id, project_id, agent_type, status, started_at, last_activity_at,
                                  ended_at, end_reason, event_count)
            SELECT gen_random_uuid(), 'SES-BF-' || g, CAST(:sentinel AS uuid), 'legacy', 'ended',
                   now() - make_interval(mins => g % 500000), now() - make_interval(mins => g % 500000),
                   now() - make_interval(mins => g % 500000), 'explicit', :k
            FROM generate_series(1, :n) AS g
        """),
            {"n": sessions, "k": per_session, "sentinel": str(SENTINEL_PROJECT_ID)},
        )
        conn.execute(
            text("""
            INSERT INTO analytics_events (occurred_at, actor, event_type, project_id, session_id, status, payload)
            SELECT s.started_at, 'import', CASE WHEN k = :k THEN 'session_end' ELSE 'tool_call' END, s.project_id,
                   s.id, 'ok',
                   jsonb_build_object('legacy_project_id',
                       (CAST(:ids AS text[]))[1 + (abs(hashtext(s.id::text)) + CASE WHEN abs(hashtext(s.id::text)) % 10 = 0
                                                   THEN k ELSE 0 END) % 20])
            FROM sessions s CROSS JOIN generate_series(1, :k) AS k
        """),
            {"k": per_session, "ids": project_ids},
        )
    with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def per_session_loop(app: AppContext) -> int:
    """The N+1 way: list candidates, then per session one evidence query and one update + change row."""
    assigned = 0
    run_id = f"loop-{uuid.uuid4().hex[:6]}"
    with app.engine.begin() as conn:
        candidates = (
            conn.execute(
                text("SELECT id FROM sessions WHERE project_id = CAST(:s AS uuid)"),
                {"s": str(SENTINEL_PROJECT_ID)},
            )
            .scalars()
            .all()
        )
        for session_id in candidates:
            rows = conn.execute(
                text("""
                SELECT CAST(payload->>'legacy_project_id' AS uuid) AS p, count(*) AS n FROM analytics_events
                WHERE session_id = :id AND payload ? 'legacy_project_id' GROUP BY 1
            """),
                {"id": session_id},
            ).all()
            if len(rows) != 1:
                continue
            conn.execute(
                text("UPDATE sessions SET project_id = :p WHERE id = :id"), {"p": rows[0].p, "id": session_id}
            )
            conn.execute(
                text("""
                INSERT INTO session_project_changes (session_id, from_project_id, to_project_id, changed_at, reason,
                                                     actor, run_id, details)
                VALUES (:id, CAST(:s AS uuid), :p, now(), 'backfill', 'backfill', :run, '{}')
            """),
                {"id": session_id, "s": str(SENTINEL_PROJECT_ID), "p": rows[0].p, "run": run_id},
            )
            assigned += 1
    return assigned


def timed(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--events-per-session", type=int, default=10)
    parser.add_argument("--sample", type=int, default=50_000)
    args = parser.parse_args()
    results: dict[str, Any] = {}

    big = build_app(Settings(database_url=fresh_database("aidis_bench_backfill"), log_level="WARNING"))
    gen_s, _ = timed(lambda: populate(big, args.sessions, args.events_per_session))
    run_s, report = timed(big.backfill.run)
    check_s, check = timed(big.integrity.check)
    results["full"] = {
        "sessions": args.sessions,
        "events": args.sessions * args.events_per_session,
        "generate_s": round(gen_s, 1),
        "backfill_s": round(run_s, 1),
        "assigned": report.assigned,
        "kept_unassigned": report.kept_unassigned,
        "check_s": round(check_s, 1),
        "check_clean": check.clean,
    }
    big.close()

    sample = build_app(
        Settings(database_url=fresh_database("aidis_bench_backfill_sample"), log_level="WARNING")
    )
    populate(sample, args.sample, args.events_per_session)
    loop_s, loop_assigned = timed(lambda: per_session_loop(sample))
    with (
        sample.engine.begin() as conn
    ):  # undo the loop's work so the set-based run starts from the same state
        conn.execute(
            text("UPDATE sessions SET project_id = CAST(:s AS uuid)"), {"s": str(SENTINEL_PROJECT_ID)}
        )
        conn.execute(text("DELETE FROM session_project_changes"))
    set_s, set_report = timed(sample.backfill.run)
    results["sample"] = {
        "sessions": args.sample,
        "per_session_loop_s": round(loop_s, 2),
        "set_based_s": round(set_s, 2),
        "assigned_loop": loop_assigned,
        "assigned_set_based": set_report.assigned,
        "ratio_loop_to_set_based": round(loop_s / set_s, 1),
    }
    sample.close()

    full, part = results["full"], results["sample"]
    print(
        f"backfill of {full['sessions']:,} orphan sessions / {full['events']:,} events on PostgreSQL: "
        f"{full['backfill_s']} s (target < 60 s); assigned {full['assigned']:,}, kept {full['kept_unassigned']:,}; "
        f"check afterwards {full['check_s']} s, clean={full['check_clean']}"
    )
    print(
        f"{part['sessions']:,}-session sample: one-query-per-session loop {part['per_session_loop_s']} s vs "
        f"set-based {part['set_based_s']} s → {part['ratio_loop_to_set_based']}x"
    )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
