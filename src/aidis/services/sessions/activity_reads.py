"""Reading what agents did: a session's activity rows and their digest, and which sessions touched a path.

Invariant: reads only, and of one session or one project scope at a time — the same rows and the same
digest on every surface (dashboard, API, MCP search, CLI).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from aidis.enums import AuditKind
from aidis.records import ActivityRow, TouchedBy
from aidis.repositories import activity as repo
from aidis.services.base import ServiceBase
from aidis.services.handover.digest import ActivityDigest, digest
from aidis.services.principal import own_sessions_only, readable_filter
from aidis.services.sessions.lookup import find_session


class ActivityReadService(ServiceBase):
    """What agents did in their sessions."""

    def for_session(self, ref: str | uuid.UUID, *, limit: int = 1000) -> list[ActivityRow]:
        """A session's activity rows, oldest first."""
        with self.reading() as conn:
            session = find_session(conn, ref)
            rows = repo.for_session(conn, session.id, limit=limit)
        self.audited(None, AuditKind.READ, session.project_id, [session.id], count=len(rows))
        return rows

    def digest(self, ref: str | uuid.UUID) -> ActivityDigest:
        """A session's activity digested (files as a tree, commands, tests, what was left failing)."""
        with self.reading() as conn:
            session = find_session(conn, ref)
            overflow = session.metadata.get("activity_overflow")
            return digest(
                repo.for_session(conn, session.id), overflow if isinstance(overflow, dict) else None
            )

    def touched(
        self,
        path: str,
        *,
        project_ids: Sequence[uuid.UUID] | None,
        since: datetime | None = None,
        limit: int = 5,
    ) -> list[TouchedBy]:
        """Sessions whose agent touched `path` (exactly, or a path ending in it), newest first."""
        with self.reading() as conn:
            return repo.touched(
                conn,
                path.strip().strip("/"),
                project_ids=readable_filter(list(project_ids) if project_ids is not None else None),
                since=since,
                limit=limit,
                unassigned_owner=own_sessions_only(),
            )
