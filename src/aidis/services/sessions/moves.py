"""Moving sessions between projects: one place that writes the change row, the session's new project
and the `session_assigned` event together (a session started in its workspace's project gets the same
change row and event, recorded as a move out of Unassigned at its start).

Invariant: every move is recorded (nothing is overwritten silently), a move to the project a session
is already in records nothing, a bulk move is all or nothing, and automatic moves (work naming a
project) happen once, only out of Unassigned.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection

from aidis.enums import Actor, AuditKind, ChangeReason, EventType, Role
from aidis.errors import InvalidInput
from aidis.records import Project, Session
from aidis.repositories import changes as changes_repo
from aidis.repositories import events as events_repo
from aidis.repositories import sessions as repo
from aidis.services.base import ServiceBase
from aidis.services.principal import require
from aidis.services.projects.catalog import find_project
from aidis.services.sessions.lookup import describe_span, find_session


class SessionMoves(ServiceBase):
    """Assign sessions to projects, one or many, by hand or automatically."""

    def assign_in(
        self,
        conn: Connection,
        session: Session,
        project: Project,
        *,
        reason: ChangeReason,
        actor: Actor,
        now: datetime,
        details: dict[str, object] | None = None,
    ) -> Session:
        """Move a session to `project`, recording the change and a `session_assigned` event.

        Moving a session to the project it is already in changes and records nothing.
        """
        if session.project_id == project.id:
            return session
        require(session.project_id, Role.WRITE, session.project_display_name, field="session")
        require(project.id, Role.WRITE, project.name)
        self.audited(conn, AuditKind.CHANGE, project.id, [session.id])
        self.changed(conn, session.project_id)
        self.changed(conn, project.id)
        with self.telemetry.tracer.start_as_current_span(
            "aidis.session.assign",
            attributes={
                "aidis.change.reason": reason.value,
                "aidis.change.from_project_id": str(session.project_id),
            },
        ) as span:
            moved = self._assign(conn, session, project, reason=reason, actor=actor, now=now, details=details)
            describe_span(span, moved, "ok")
            return moved

    def _assign(
        self,
        conn: Connection,
        session: Session,
        project: Project,
        *,
        reason: ChangeReason,
        actor: Actor,
        now: datetime,
        details: dict[str, object] | None,
    ) -> Session:
        repo.set_project(conn, session.id, project.id, now=now)
        self.record_move_in(
            conn,
            session.id,
            session.project_id,
            project.id,
            reason=reason,
            actor=actor,
            now=now,
            details=details,
        )
        moved = repo.get_session(conn, session.id)
        assert moved is not None
        return moved

    def record_move_in(
        self,
        conn: Connection,
        session_id: uuid.UUID,
        from_project_id: uuid.UUID,
        to_project_id: uuid.UUID,
        *,
        reason: ChangeReason,
        actor: Actor,
        now: datetime,
        details: dict[str, object] | None,
    ) -> None:
        """The record of a move — its change row and `session_assigned` event — for a session that is in
        `to_project_id` by now (moved by the caller, or started there on the strength of this evidence)."""
        changes_repo.record_changes(
            conn,
            [(session_id, from_project_id)],
            to_project_id=to_project_id,
            changed_at=now,
            reason=reason,
            actor=actor,
            details=details,
        )
        events_repo.insert_session_event(
            conn,
            session_id=session_id,
            event_type=EventType.SESSION_ASSIGNED,
            actor=actor,
            occurred_at=now,
            payload={
                "from_project_id": str(from_project_id),
                "to_project_id": str(to_project_id),
                "reason": reason.value,
            },
        )

    def attribute_work_in(
        self, conn: Connection, session: Session, project: Project, *, now: datetime
    ) -> Session:
        """Work in an Unassigned session named a real project: assign the session to it (once)."""
        if not session.is_unassigned or project.is_sentinel:
            return session
        return self.assign_in(
            conn,
            session,
            project,
            reason=ChangeReason.AUTO_ASSIGN,
            actor=Actor.SYSTEM,
            now=now,
            details={"trigger": "work named a project"},
        )

    def assign(
        self,
        ref: str | uuid.UUID,
        project: str,
        *,
        reason: ChangeReason = ChangeReason.EXPLICIT_ASSIGN,
        actor: Actor = Actor.AGENT,
    ) -> Session:
        """Move one session to a project (by name or id), recording the change."""
        now = self.clock()
        with self.unit_of_work() as conn:
            session = find_session(conn, ref)
            target = find_project(conn, project)
            return self.assign_in(conn, session, target, reason=reason, actor=actor, now=now)

    def assign_many(
        self,
        refs: Sequence[str | uuid.UUID],
        project: str,
        *,
        actor: Actor = Actor.USER,
        reason: ChangeReason = ChangeReason.BULK_ASSIGN,
    ) -> list[Session]:
        """Move many sessions to one project in one transaction: all or nothing."""
        if not refs:
            raise InvalidInput("give at least one session", field="session_ids")
        now = self.clock()
        with self.unit_of_work() as conn:
            target = find_project(conn, project)
            found = [find_session(conn, ref, field=f"session_ids[{i}]") for i, ref in enumerate(refs)]
            return [self.assign_in(conn, s, target, reason=reason, actor=actor, now=now) for s in found]
