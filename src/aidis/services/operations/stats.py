"""Aggregate figures over sessions, always computed from the session rows."""

from __future__ import annotations

from datetime import datetime, timedelta

from aidis.records import DayCount, SessionStats
from aidis.repositories import stats as repo
from aidis.services.base import ServiceBase
from aidis.services.principal import own_sessions_only, readable_filter
from aidis.services.projects.catalog import find_project


class StatsService(ServiceBase):
    """Session statistics, optionally for one project (WHERE project_id = …)."""

    def session_stats(
        self, project: str | None = None, since: datetime | None = None, until: datetime | None = None
    ) -> SessionStats:
        """Counts, durations, contexts, events and tokens."""
        with self.reading() as conn:
            project_id = find_project(conn, project).id if project is not None else None
            return repo.session_stats(
                conn, project_id=project_id, since=since, until=until, visible=visible()
            )

    def sessions_per_day(
        self, project: str | None = None, since: datetime | None = None, until: datetime | None = None
    ) -> list[DayCount]:
        """Sessions started per UTC day per project."""
        with self.reading() as conn:
            project_id = find_project(conn, project).id if project is not None else None
            return repo.sessions_per_project_per_day(
                conn, project_id=project_id, since=since, until=until, visible=visible()
            )

    def totals(self) -> dict[str, int]:
        """Counts of projects, sessions (all, active, unassigned) and contexts."""
        with self.reading() as conn:
            return repo.totals(conn, visible())

    def busiest_projects(self, limit: int, *, days: int = 30) -> list[str]:
        """Display names of the projects with the most sessions in the last `days` days."""
        with self.reading() as conn:
            return repo.busiest_project_names(conn, since=self.clock() - timedelta(days=days), limit=limit)


def visible() -> repo.Visible | None:
    """What the current request may count (None: everything)."""
    readable = readable_filter(None)
    if readable is None:
        return None
    return repo.Visible(tuple(readable), own_sessions_only())
