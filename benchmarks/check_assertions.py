"""Time every `aidis check` assertion on its own, at a generated scale (which one to work on next).

    python benchmarks/check_assertions.py --engine sqlite --engine postgresql --sessions 200000

Generates `--sessions` orphan sessions × 10 events (as `aidis bench --scale` does), runs a backfill,
then times each assertion `--rounds` times in one read transaction (the grouped pass is timed on the
first assertion that reads it), the event-project assertion unfolded (every event looked at, as before
the fold), and the whole check. Every
database it creates is dropped at the end (SQLite: a temporary folder).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from aidis.app import build_app
from aidis.config import Settings
from aidis.repositories.integrity_events import event_project_mismatch
from aidis.services.operations.demo import generate_bulk

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def scratch(engine: str, admin: str) -> Iterator[str]:
    """A URL of an empty database, dropped afterwards."""
    if engine == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/check.db"
        return
    name = f"aidis_bench_check_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(engine: str, sessions: int, rounds: int, admin: str) -> None:
    """Generate, backfill, and print each assertion's seconds per round."""
    with scratch(engine, admin) as url, tempfile.TemporaryDirectory() as data:
        app = build_app(Settings(database_url=url, data_dir=data, log_level="WARNING", embedding_model="off"))
        try:
            started = time.perf_counter()
            generate_bulk(
                app.engine,
                now=app.clock(),
                sessions=sessions,
                events_per_session=10,
                orphans_with_evidence=True,
            )
            print(f"{engine}: generated {sessions:,} sessions in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            app.backfill.run()
            print(f"{engine}: backfill {time.perf_counter() - started:.1f} s")
            for round_ in range(1, rounds + 1):
                checks = app.integrity._checks()  # fresh per round: the folded pass is shared within one
                with app.engine.connect() as conn:
                    for name, _, assertion, _ in checks:
                        started = time.perf_counter()
                        violations, _ = assertion(conn)
                        print(
                            f"{engine} round {round_}: {name:24} {time.perf_counter() - started:7.2f} s  {violations}"
                        )
                with app.engine.connect() as conn:  # the event-project assertion as it was, every event
                    started = time.perf_counter()
                    violations, _ = event_project_mismatch(conn, None)
                    print(
                        f"{engine} round {round_}: {'(every event, unfolded)':24} "
                        f"{time.perf_counter() - started:7.2f} s  {violations}"
                    )
                started = time.perf_counter()
                report = app.integrity.check()
                print(
                    f"{engine} round {round_}: whole check {time.perf_counter() - started:.1f} s, clean={report.clean}"
                )
        finally:
            app.close()


def main() -> None:
    """Parse the options and run each engine."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--sessions", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--postgres-admin-url", default=ADMIN)
    args = parser.parse_args()
    for engine in args.engine or ["sqlite", "postgresql"]:
        run(engine, args.sessions, args.rounds, args.postgres_admin_url)


if __name__ == "__main__":
    main()
