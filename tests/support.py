"""Helpers shared by the test suite: database provisioning and a controllable clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import Engine, text

ADMIN_URL = os.environ.get("AIDIS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGRES = os.environ.get("AIDIS_REQUIRE_POSTGRES", "") not in ("", "0", "false")
SENTINEL = "00000000-0000-0000-0000-000000000000"


class FakeClock:
    """A clock tests move by hand (no sleeps)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now = self.now + timedelta(**kwargs)
        return self.now


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL at {ADMIN_URL} is not reachable: {exc}"
    return None


def _admin_conninfo() -> str:
    return ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")


def create_pg_database(prefix: str = "aidis_test") -> str:
    """Create an empty PostgreSQL database; return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = _admin_conninfo().rpartition("/")
    return f"{base}/{name}"


def drop_pg_database(url: str) -> None:
    """Drop a database made by `create_pg_database` (terminating leftover connections)."""
    name = url.rpartition("/")[2]
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_database_url(engine_name: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the given engine for the duration of the block."""
    if engine_name == "sqlite":
        yield f"sqlite:///{tmp_path / f'aidis-{uuid.uuid4().hex[:8]}.db'}"
        return
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@dataclass
class Database:
    """A migrated database shared by the tests of one engine, emptied between tests."""

    engine_name: str
    url: str
    engine: Engine

    def reset(self) -> None:
        """Remove every row but the sentinel project."""
        with self.engine.begin() as conn:
            if (
                self.engine_name == "postgresql"
            ):  # the audit trail lets rows go only when told it is retention
                conn.execute(text("SELECT set_config('aidis.audit_retention', 'on', true)"))
            for table in (
                "audit_log",
                "api_tokens",
                "project_grants",
                "hook_events",
                "legacy_imports",
                "analytics_events",
                "session_project_changes",
                "context_revisions",
                "recalled_contexts",
                "context_vectors",
                "contexts",
                "session_usage",
                "sessions",
                "session_rollups",
                "usage_rollups",
                "usage_days",
                "usage_day_zones",
                "usage_session_ranks",
                "usage_weights",
                "connections",
                "session_counters",
                "project_workspaces",
                "connection_links",
                "users",
            ):
                conn.execute(text(f"DELETE FROM {table}"))
            conn.execute(text("DELETE FROM projects WHERE id <> :s"), {"s": SENTINEL})


TABLES = (
    "projects",
    "sessions",
    "session_project_changes",
    "analytics_events",
    "contexts",
    "context_revisions",
    "connections",
    "connection_links",
    "hook_events",
    "session_activity",
    "project_workspaces",
)


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table, to prove a refused call wrote nothing."""
    with engine.connect() as conn:
        return {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in TABLES}


def shared_cache_dir() -> str:
    """The cache folder every process of a test run shares (the embedding model's prepared copy is made
    once, not once per temporary HOME: 90 MB each)."""
    from aidis.config import Settings

    return str(Settings().cache_dir)
