"""SQL for the session rollups: closed sessions per project and UTC day (migration 0010's triggers keep
them), read beside the open sessions, recounted by `aidis check` and rebuilt by `check --fix`.

Invariant: a figure read from the rollups equals the same figure counted from the session rows — the
rollups hold exactly the closed sessions (triggers add and remove each one in the statement that changes
it), the open ones are always counted live, and `mismatches` proves the equality on demand.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import Connection, func, select, text

from aidis.db.schema import ROLLUP_COUNTERS, session_rollups

DURATION_TOLERANCE = 0.01  # seconds: float sums kept by adding and subtracting drift by far less


@dataclass(frozen=True, slots=True)
class RollupScope:
    """Which closed sessions a rollup read covers: projects (None: all), whole UTC days [since, until)."""

    project_ids: Sequence[uuid.UUID] | None = None
    since_day: str | None = None
    until_day: str | None = None


def day_of(moment: datetime | None) -> str | None:
    """The rollup day ('YYYY-MM-DD', UTC) a day-aligned bound names (None stays None)."""
    return None if moment is None else moment.astimezone(UTC).date().isoformat()


def whole_days(*moments: datetime | None) -> bool:
    """True when every bound is None or a UTC midnight (the rollups answer those exactly)."""
    return all(m is None or m.astimezone(UTC).time() == time(0) for m in moments)


def _where(scope: RollupScope) -> list[Any]:
    conditions: list[Any] = []
    if scope.project_ids is not None:
        conditions.append(session_rollups.c.project_id.in_(list(scope.project_ids)))
    if scope.since_day is not None:
        conditions.append(session_rollups.c.day >= scope.since_day)
    if scope.until_day is not None:
        conditions.append(session_rollups.c.day < scope.until_day)
    return conditions


def totals(conn: Connection, scope: RollupScope) -> dict[str, float]:
    """The summed counters and duration of the closed sessions in scope."""
    columns = [func.coalesce(func.sum(session_rollups.c[c]), 0).label(c) for c in ROLLUP_COUNTERS]
    duration = func.coalesce(func.sum(session_rollups.c.duration_seconds), 0.0).label("duration_seconds")
    row = conn.execute(select(*columns, duration).where(*_where(scope))).one()
    return {key: float(value) for key, value in row._mapping.items()}


def per_day(conn: Connection, scope: RollupScope) -> list[tuple[str, uuid.UUID, int, int]]:
    """(day, project, closed sessions, their tokens) per project and day in scope."""
    rows = conn.execute(
        select(
            session_rollups.c.day,
            session_rollups.c.project_id,
            session_rollups.c.sessions,
            session_rollups.c.input_tokens + session_rollups.c.output_tokens,
        ).where(*_where(scope))
    )
    return [(str(r[0]), r[1], int(r[2]), int(r[3])) for r in rows]


def per_project(conn: Connection, scope: RollupScope) -> dict[uuid.UUID, int]:
    """Closed sessions per project in scope."""
    rows = conn.execute(
        select(session_rollups.c.project_id, func.sum(session_rollups.c.sessions))
        .where(*_where(scope))
        .group_by(session_rollups.c.project_id)
    )
    return {row[0]: int(row[1]) for row in rows}


_RECOUNT = {
    "sqlite": """
SELECT project_id, substr(started_at, 1, 10) AS day, count(*) AS sessions,
       sum(status = 'ended') AS ended, sum(status = 'timed_out') AS timed_out,
       sum(status = 'interrupted') AS interrupted,
       sum((julianday(ended_at) - julianday(started_at)) * 86400.0) AS duration_seconds,
       sum(context_count) AS contexts, sum(event_count) AS events,
       sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens
FROM sessions WHERE status <> 'active' GROUP BY 1, 2""",
    "postgresql": """
SELECT project_id, to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*) AS sessions,
       count(*) FILTER (WHERE status = 'ended') AS ended,
       count(*) FILTER (WHERE status = 'timed_out') AS timed_out,
       count(*) FILTER (WHERE status = 'interrupted') AS interrupted,
       sum(extract(epoch FROM ended_at - started_at))::double precision AS duration_seconds,
       sum(context_count) AS contexts, sum(event_count) AS events,
       sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens
FROM sessions WHERE status <> 'active' GROUP BY 1, 2""",
}
_COLUMNS = (*ROLLUP_COUNTERS, "duration_seconds")


def mismatches(conn: Connection) -> tuple[int, list[str]]:
    """Project-days whose rollup differs from a recount of their closed sessions (missing, extra or
    wrong), with a few samples."""
    recount = f"({_RECOUNT[conn.dialect.name]})"
    agree = " AND ".join(f"r.{c} = c.{c}" for c in ROLLUP_COUNTERS)
    agree += f" AND abs(r.duration_seconds - c.duration_seconds) <= {DURATION_TOLERANCE}"
    query = text(
        f"""
        SELECT c.project_id, c.day FROM {recount} c
        LEFT JOIN session_rollups r ON r.project_id = c.project_id AND r.day = c.day
        WHERE r.project_id IS NULL OR NOT ({agree})
        UNION ALL
        SELECT r.project_id, r.day FROM session_rollups r
        WHERE NOT EXISTS (SELECT 1 FROM {recount} c WHERE c.project_id = r.project_id AND c.day = r.day)
        """
    )
    rows = conn.execute(query).all()
    return len(rows), [f"{row[0]} {row[1]}" for row in rows[:5]]


def rebuild(conn: Connection) -> int:
    """Recount every rollup from the session rows; returns how many project-days now exist."""
    conn.execute(session_rollups.delete())
    columns = ", ".join(("project_id", "day", *_COLUMNS))
    conn.execute(
        text(
            f"INSERT INTO session_rollups ({columns}) SELECT {columns} FROM ({_RECOUNT[conn.dialect.name]}) c"
        )
    )
    return int(conn.execute(select(func.count()).select_from(session_rollups)).scalar_one())
