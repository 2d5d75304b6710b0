"""`aidis bench --scale --reuse`: keep the generated data set between runs and work on a copy of it.

Generating a million sessions and ten million events takes minutes per engine, most of a scale run.
With `--reuse` the generated database is kept as a template (PostgreSQL: a database named after the
size; SQLite: a file under the data directory) and every run works on a fresh copy — created with
`CREATE DATABASE … TEMPLATE` or SQLite's online backup — that is dropped afterwards like any benchmark
database. Invariant: a run never changes the template (backfill and check run on the copy), so every
run starts from the same orphans; the template is the one thing a benchmark leaves behind, and only
when asked, and `--forget` drops it.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from aidis.app import build_app
from aidis.config import Settings
from aidis.services.operations.demo import generate_bulk

Generate = Callable[[str], int]  # fills the empty database at a URL; returns how many events it made


def template_name(sessions: int, events_per_session: int) -> str:
    """The kept PostgreSQL database (and SQLite file stem) for a data set of this size."""
    return f"aidis_bench_scale_{sessions}x{events_per_session}"


def _admin(admin_url: str) -> str:
    return admin_url.replace("postgresql+psycopg://", "postgresql://")


def _pg_exists(admin_url: str, name: str) -> bool:
    with psycopg.connect(_admin(admin_url), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


@contextmanager
def copy_of_kept(
    engine: str, admin_url: str, folder: Path, name: str, generate: Generate
) -> Iterator[tuple[str, bool]]:
    """A fresh copy of the kept data set `name` (generated first if it is not kept yet); yields the
    copy's URL and whether the data set was reused. The copy is dropped afterwards."""
    if engine == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        kept = folder / f"{name}.db"
        reused = kept.exists()
        if not reused:
            generate(f"sqlite:///{kept}")
        run_file = folder / f"{name}.run-{uuid.uuid4().hex[:8]}.db"
        with closing(sqlite3.connect(kept)) as source, closing(sqlite3.connect(run_file)) as target:
            source.backup(target)
        try:
            yield f"sqlite:///{run_file}", reused
        finally:
            for path in (run_file, Path(f"{run_file}-wal"), Path(f"{run_file}-shm")):
                path.unlink(missing_ok=True)
        return
    reused = _pg_exists(admin_url, name)
    if not reused:
        with psycopg.connect(_admin(admin_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            generate(make_url(_admin(admin_url)).set(database=name).render_as_string(hide_password=False))
        except BaseException:
            forget_pg(admin_url, name)
            raise
    copy = f"{name}_run_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    try:
        yield make_url(_admin(admin_url)).set(database=copy).render_as_string(hide_password=False), reused
    finally:
        forget_pg(admin_url, copy)


def forget_pg(admin_url: str, name: str) -> None:
    """Drop a kept (or copied) PostgreSQL data set."""
    with psycopg.connect(_admin(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def forget(engine: str, admin_url: str, folder: Path, name: str) -> bool:
    """Drop the kept data set `name`; True when there was one."""
    if engine == "sqlite":
        kept = folder / f"{name}.db"
        existed = kept.exists()
        for path in (kept, Path(f"{kept}-wal"), Path(f"{kept}-shm")):
            path.unlink(missing_ok=True)
        return existed
    existed = _pg_exists(admin_url, name)
    forget_pg(admin_url, name)
    return existed


def generator(sessions: int, events_per_session: int) -> Generate:
    """Fill an empty database with the scale data set (migrated first)."""

    def fill(url: str) -> int:
        app = build_app(Settings(database_url=url, log_level="WARNING", embedding_model="off"))
        try:
            return generate_bulk(
                app.engine,
                now=app.clock(),
                sessions=sessions,
                events_per_session=events_per_session,
                orphans_with_evidence=True,
            )
        finally:
            app.close()

    return fill
