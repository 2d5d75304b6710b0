"""SQL for aggregate session figures. Every figure is computed from the session rows themselves."""

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


def session_stats(
    conn: Connection,
    *,
    project_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None = None,
    visible: Visible | None = None,
) -> SessionStats:
    """Counts, durations (of closed sessions), contexts, events and tokens, in one query."""
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
            func.avg(duration).label("avg_duration"),
            func.coalesce(func.sum(sessions.c.context_count), 0).label("contexts"),
            func.coalesce(func.sum(sessions.c.event_count), 0).label("events"),
            func.coalesce(func.sum(sessions.c.input_tokens), 0).label("input_tokens"),
            func.coalesce(func.sum(sessions.c.output_tokens), 0).label("output_tokens"),
        ).where(*_where(project_id, since, until, visible))
    ).one()
    return SessionStats(
        total=int(row.total),
        active=int(row.active),
        ended=int(row.ended),
        timed_out=int(row.timed_out),
        interrupted=int(row.interrupted),
        total_duration_seconds=float(row.duration),
        average_duration_seconds=None if row.avg_duration is None else float(row.avg_duration),
        contexts=int(row.contexts),
        events=int(row.events),
        input_tokens=int(row.input_tokens),
        output_tokens=int(row.output_tokens),
    )


def sessions_per_project_per_day(
    conn: Connection,
    *,
    project_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None = None,
    visible: Visible | None = None,
) -> list[DayCount]:
    """How many sessions started on each UTC day, per project, oldest day first."""
    day = utc_day(conn.dialect.name, sessions.c.started_at).label("day")
    counts = (
        select(
            day,
            sessions.c.project_id,
            func.count().label("n"),
            func.sum(sessions.c.input_tokens + sessions.c.output_tokens).label("tokens"),
        )
        .where(*_where(project_id, since, until, visible))
        .group_by(day, sessions.c.project_id)
        .subquery()
    )
    rows = conn.execute(
        select(counts.c.day, counts.c.project_id, projects.c.name, counts.c.n, counts.c.tokens)
        .join(projects, projects.c.id == counts.c.project_id)
        .order_by(counts.c.day, projects.c.name)
    )
    return [
        DayCount(
            day=day_text(row.day),
            project_id=row.project_id,
            project_name=row.name,
            sessions=int(row.n),
            tokens=int(row.tokens or 0),
        )
        for row in rows
    ]


def totals(conn: Connection, visible: Visible | None = None) -> dict[str, int]:
    """Row counts for the status report: projects (real ones), sessions, active, unassigned, contexts."""
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
    row = conn.execute(
        select(
            select(func.count())
            .select_from(projects)
            .where(projects.c.id != SENTINEL_PROJECT_ID, *project_seen)
            .scalar_subquery()
            .label("projects"),
            select(func.count()).select_from(sessions).where(*seen).scalar_subquery().label("sessions"),
            select(func.count())
            .select_from(sessions)
            .where(sessions.c.status == "active", *seen)
            .scalar_subquery()
            .label("active_sessions"),
            select(func.count())
            .select_from(sessions)
            .where(sessions.c.project_id == SENTINEL_PROJECT_ID, *seen)
            .scalar_subquery()
            .label("unassigned_sessions"),
            select(func.count())
            .select_from(contexts)
            .where(contexts.c.deleted_at.is_(None), *context_seen)
            .scalar_subquery()
            .label("contexts"),
        )
    ).one()
    return {key: int(value) for key, value in row._mapping.items()}


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
