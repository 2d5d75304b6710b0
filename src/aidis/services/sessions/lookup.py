"""Finding and reading sessions (by id or display id, a connection's open one, pages of them).

Invariant: reads never start or change a session, and a session that does not exist is a NotFound
naming the field it was asked by.
"""

from __future__ import annotations

import builtins
import dataclasses
import uuid
from dataclasses import dataclass

from opentelemetry.trace import Span
from sqlalchemy import Connection

from aidis.enums import AuditKind, Role
from aidis.errors import InvalidInput, NotFound
from aidis.records import Cursor, Event, Project, ProjectChange, Session, SessionFilter
from aidis.repositories import changes as changes_repo
from aidis.repositories import connections as connections_repo
from aidis.repositories import events as events_repo
from aidis.repositories import projects as projects_repo
from aidis.repositories import session_listing as listing
from aidis.repositories import sessions as repo
from aidis.services.base import ServiceBase
from aidis.services.principal import current_principal, own_sessions_only, readable_filter


@dataclass(frozen=True, slots=True)
class SessionDetail:
    """A session with its events and project history."""

    session: Session
    events: list[Event]
    changes: list[ProjectChange]


def find_session(conn: Connection, ref: str | uuid.UUID, field: str = "session") -> Session:
    """A session by UUID or display id; NotFound otherwise."""
    if isinstance(ref, uuid.UUID):
        found = repo.get_session(conn, ref)
    else:
        text = ref.strip()
        try:
            found = repo.get_session(conn, uuid.UUID(text))
        except ValueError:
            found = repo.get_by_display_id(conn, text.upper())
    if found is None or not may_see(found):
        raise NotFound(f"no session {str(ref)!r}", field=field)
    return found


def visible_only(flt: SessionFilter) -> SessionFilter:
    """A session filter narrowed to what the current request may see."""
    readable = readable_filter(None)
    if readable is None:
        return flt
    return dataclasses.replace(flt, readable=tuple(readable), unassigned_owner=own_sessions_only())


def may_see(session: Session) -> bool:
    """Whether the current request may see a session: its project readable, and in Unassigned its own."""
    principal = current_principal()
    if principal is None:
        return True
    if not principal.may(session.project_id, Role.READ):
        return False
    return not (session.is_unassigned and principal.owns_unassigned and session.user_id != principal.user_id)


def describe_span(span: Span, session: Session, outcome: str) -> None:
    """Put a session and its project on a span."""
    span.set_attributes(
        {
            "aidis.session.id": str(session.id),
            "aidis.session.display_id": session.display_id,
            "aidis.project.id": str(session.project_id),
            "aidis.project.name": session.project_display_name,
            "aidis.outcome": outcome,
        }
    )


class SessionLookup(ServiceBase):
    """Read sessions."""

    def current_project(self, connection_id: str) -> Project | None:
        """The connection's current project, or None when it has not chosen one."""
        with self.reading() as conn:
            state = connections_repo.get_connection(conn, connection_id)
            if state is None or state.current_project_id is None:
                return None
            return projects_repo.get_by_id(conn, state.current_project_id)

    def status(self, connection_id: str) -> Session | None:
        """The connection's open session, or None."""
        with self.reading() as conn:
            return repo.get_open_for_connection(conn, connection_id)

    def latest_for_connection(self, connection_id: str) -> Session | None:
        """The connection's newest session, open or not (None when it never had one)."""
        with self.reading() as conn:
            return repo.latest_for_connection(conn, connection_id)

    def get(self, ref: str | uuid.UUID) -> Session:
        """A session by id or display id."""
        with self.reading() as conn:
            return find_session(conn, ref)

    def detail(self, ref: str | uuid.UUID) -> SessionDetail:
        """A session with its events and project-change history."""
        with self.reading() as conn:
            session = find_session(conn, ref)
            detail = SessionDetail(
                session,
                events_repo.events_for_session(conn, session.id),
                changes_repo.changes_for_session(conn, session.id),
            )
        self.audited(None, AuditKind.READ, session.project_id, [session.id])
        return detail

    def list(
        self,
        flt: SessionFilter,
        *,
        limit: int = 50,
        offset: int = 0,
        sort: str = "-started_at",
        after: Cursor | None = None,
        with_total: bool = True,
        peek: bool = False,
    ) -> tuple[builtins.list[Session], int | None]:
        """A page of sessions matching `flt` and (unless `with_total` is off) how many match in all;
        with `peek`, one session more than `limit` when there is one (a next page follows)."""
        if not 1 <= limit <= 500:
            raise InvalidInput("limit must be between 1 and 500", field="limit")
        limit += peek  # one more row, to tell whether another page follows
        if offset < 0:
            raise InvalidInput("offset must not be negative", field="offset")
        if sort not in listing.SORTS:
            raise InvalidInput(f"sort must be one of {', '.join(listing.SORTS)}", field="sort")
        flt = visible_only(flt)
        with self.reading() as conn:
            items = listing.list_sessions(conn, flt, limit=limit, offset=offset, sort=sort, after=after)
            total = listing.count_sessions(conn, flt) if with_total else None
            return items, total
