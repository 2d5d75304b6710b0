"""SQL for aggregate session figures: closed sessions from the per-day rollups the database keeps
(`repositories.rollups`), open ones counted from their rows, so a figure costs the days it spans and the
open sessions, not every session ever recorded. Every figure equals a count of the session rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, or_, select

from aidis.db.schema import contexts, projects, sessions
from aidis.db.sqlfuncs import day_text, epoch_seconds_between, utc_day
from aidis.enums import SENTINEL_DISPLAY_NAME, SENTINEL_PROJECT_ID
from aidis.records import DayCount, SessionStats
from aidis.repositories import rollups


@dataclass(frozen=True, slots=True)
class Visible:
    """What a team member may count: their projects, and their own sessions in Unassigned."""

    readable: tuple[uuid.UUID, ...]
    unassigned_owner: uuid.UUID | None


def _visible(visible: Visible | None) -> list[Any]:
    if visible is None:
        return []
    conditions: list[Any] = [sessions.c.project_id.in_(list(visible.readable))]
    if visible.unassigned_owner is not None:
        conditions.append(
            or_(sessions.c.project_id != SENTINEL_PROJECT_ID, sessions.c.user_id == visible.unassigned_owner)
        )
    return conditions


def _where(
    project_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
    visible: Visible | None = None,
) -> list[Any]:
    conditions: list[Any] = _visible(visible)
    if project_id is not None:
        conditions.append(sessions.c.project_id == project_id)
    if since is not None:
        conditions.append(sessions.c.started_at >= since)
    if until is not None:
        conditions.append(sessions.c.started_at < until)
    return conditions


def _counted(conn: Connection, conditions: list[Any]) -> SessionStats:
    """Counts, durations (of closed sessions), contexts, events and tokens of the matching session rows."""
    duration = epoch_seconds_between(conn.dialect.name, sessions.c.started_at, sessions.c.ended_at)

    def count_status(status: str) -> Any:
        return func.coalesce(func.sum(case((sessions.c.status == status, 1), else_=0)), 0)

    row = conn.execute(
        select(
            func.count().label("total"),
            count_status("active").label("active"),
            count_status("ended").label("ended"),
            count_status("timed_out").label("timed_out"),
            count_status("interrupted").label("interrupted"),
            func.coalesce(func.sum(duration), 0.0).label("duration"),
            func.coalesce(func.sum(sessions.c.context_count), 0).label("contexts"),
            func.coalesce(func.sum(sessions.c.event_count), 0).label("events"),
            func.coalesce(func.sum(sessions.c.input_tokens), 0).label("input_tokens"),
            func.coalesce(func.sum(sessions.c.output_tokens), 0).label("output_tokens"),
        ).where(*conditions)
    ).one()
    return _stats(row._mapping, total=row.total, active=row.active, duration=row.duration)


def _stats(values: Any, *, total: Any, active: Any, duration: Any) -> SessionStats:
    closed = int(values["ended"]) + int(values["timed_out"]) + int(values["interrupted"])
    return SessionStats(
        total=int(total),
        active=int(active),
        ended=int(values["ended"]),
        timed_out=int(values["timed_out"]),
        interrupted=int(values["interrupted"]),
        total_duration_seconds=float(duration),
        average_duration_seconds=float(duration) / closed if closed else None,
        contexts=int(values["contexts"]),
        events=int(values["events"]),
        input_tokens=int(values["input_tokens"]),
        output_tokens=int(values["output_tokens"]),
    )


def _plus(a: SessionStats, b: SessionStats) -> SessionStats:
    summed = {
        name: getattr(a, name) + getattr(b, name)
        for name in (
            "ended",
            "timed_out",
            "interrupted",
            "contexts",
            "events",
            "input_tokens",
            "output_tokens",
        )
    }
    return _stats(
        summed,
        total=a.total + b.total,
        active=a.active + b.active,
        duration=a.total_duration_seconds + b.total_duration_seconds,
    )


@dataclass(frozen=True, slots=True)
class _Split:
    """A session read split into what the rollups answer and what is counted live."""

    scope: rollups.RollupScope
    live: list[Any]  # conditions for the open sessions (and, for a team member, their own closed Unassigned)


def _split(
    project_id: uuid.UUID | None, since: datetime | None, until: datetime | None, visible: Visible | None
) -> _Split | None:
    """None when the rollups cannot answer (a bound inside a day)."""
    if not rollups.whole_days(since, until):
        return None
    ids: list[uuid.UUID] | None = [project_id] if project_id is not None else None
    if visible is not None:
        ids = [p for p in (ids if ids is not None else visible.readable) if p in visible.readable]
    own = visible.unassigned_owner if visible is not None else None
    if own is not None:  # the rollups cannot tell whose Unassigned sessions they hold: count those live
        ids = [p for p in (ids or []) if p != SENTINEL_PROJECT_ID]
    live: list[Any] = [*_where(project_id, since, until, visible)]
    open_only = sessions.c.status == "active"
    live.append(
        or_(open_only, sessions.c.project_id == SENTINEL_PROJECT_ID) if own is not None else open_only
    )
    return _Split(rollups.RollupScope(ids, rollups.day_of(since), rollups.day_of(until)), live)


def session_stats(
    conn: Connection,
    *,
    project_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None = None,
    visible: Visible | None = None,
) -> SessionStats:
    """Counts, durations (of closed sessions), contexts, events and tokens: closed sessions from the
    rollups (whole days), open ones counted live; a bound inside a day counts every row."""
    split = _split(project_id, since, until, visible)
    if split is None:
        return _counted(conn, _where(project_id, since, until, visible))
    closed = rollups.totals(conn, split.scope) if split.scope.project_ids != [] else None
    live = _counted(conn, split.live)
    if closed is None:
        return live
    from_rollups = _stats(closed, total=closed["sessions"], active=0, duration=closed["duration_seconds"])
    return _plus(from_rollups, live)


def sessions_per_project_per_day(
    conn: Connection,
    *,
    project_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None = None,
    visible: Visible | None = None,
) -> list[DayCount]:
    """How many sessions started on each UTC day, per project, oldest day first (closed ones from the
    rollups when the bounds are whole days)."""
    split = _split(project_id, since, until, visible)
    conditions = _where(project_id, since, until, visible) if split is None else split.live
    day = utc_day(conn.dialect.name, sessions.c.started_at).label("day")
    counted: dict[tuple[str, uuid.UUID], list[int]] = {}
    live = conn.execute(
        select(
            day,
            sessions.c.project_id,
            func.count(),
            func.sum(sessions.c.input_tokens + sessions.c.output_tokens),
        )
        .where(*conditions)
        .group_by(day, sessions.c.project_id)
    )
    rows = [(day_text(r[0]), r[1], int(r[2]), int(r[3] or 0)) for r in live]
    if split is not None and split.scope.project_ids != []:
        rows += rollups.per_day(conn, split.scope)
    for key_day, project, n, tokens in rows:
        slot = counted.setdefault((key_day, project), [0, 0])
        slot[0] += n
        slot[1] += tokens
    names = _project_names(conn, {project for _, project in counted})
    return [
        DayCount(day=key_day, project_id=project, project_name=names[project], sessions=n, tokens=tokens)
        for (key_day, project), (n, tokens) in sorted(
            counted.items(), key=lambda kv: (kv[0][0], names[kv[0][1]])
        )
        if project in names
    ]


def _project_names(conn: Connection, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = conn.execute(select(projects.c.id, projects.c.name).where(projects.c.id.in_(list(ids))))
    return {row.id: str(row.name) for row in rows}


def totals(conn: Connection, visible: Visible | None = None) -> dict[str, int]:
    """Row counts for the status report: projects (real ones), sessions, active, unassigned, contexts
    (sessions: closed ones from the rollups, open ones live)."""
    split = _split(None, None, None, visible)
    assert split is not None  # no bounds: always whole days
    seen = _visible(visible)
    project_seen = [projects.c.id.in_(list(visible.readable))] if visible is not None else []
    context_seen: list[Any] = []
    if visible is not None:
        context_seen = [contexts.c.project_id.in_(list(visible.readable))]
        if visible.unassigned_owner is not None:
            own = select(sessions.c.id).where(sessions.c.user_id == visible.unassigned_owner)
            context_seen.append(
                or_(contexts.c.project_id != SENTINEL_PROJECT_ID, contexts.c.session_id.in_(own))
            )
    live = [*split.live]
    row = conn.execute(
        select(
            select(func.count())
            .select_from(projects)
            .where(projects.c.id != SENTINEL_PROJECT_ID, *project_seen)
            .scalar_subquery()
            .label("projects"),
            select(func.count()).select_from(sessions).where(*live).scalar_subquery().label("sessions"),
            select(func.count())
            .select_from(sessions)
            .where(sessions.c.status == "active", *seen)
            .scalar_subquery()
            .label("active_sessions"),
            select(func.count())
            .select_from(sessions)
            .where(sessions.c.project_id == SENTINEL_PROJECT_ID, *live)
            .scalar_subquery()
            .label("unassigned_sessions"),
            select(func.count())
            .select_from(contexts)
            .where(contexts.c.deleted_at.is_(None), *context_seen)
            .scalar_subquery()
            .label("contexts"),
        )
    ).one()
    counts = {key: int(value) for key, value in row._mapping.items()}
    if split.scope.project_ids != []:
        closed = rollups.per_project(conn, split.scope)
        counts["sessions"] += sum(closed.values())
        counts["unassigned_sessions"] += closed.get(SENTINEL_PROJECT_ID, 0)
    return counts


def busiest_project_names(conn: Connection, *, since: datetime, limit: int) -> list[str]:
    """Names of the projects with the most sessions started since `since`, busiest first."""
    rows = conn.execute(
        select(projects.c.id, projects.c.name)
        .join(sessions, sessions.c.project_id == projects.c.id)
        .where(sessions.c.started_at >= since)
        .group_by(projects.c.id, projects.c.name)
        .order_by(func.count().desc(), projects.c.name)
        .limit(limit)
    ).all()
    return [SENTINEL_DISPLAY_NAME if row.id == SENTINEL_PROJECT_ID else str(row.name) for row in rows]
