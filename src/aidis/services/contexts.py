"""Contexts: store agent memory in the session's project, and find it again."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine

from aidis.enums import ContextType, EventType
from aidis.errors import InvalidInput
from aidis.records import Context, Project, Session
from aidis.repositories import connections as connections_repo
from aidis.repositories import contexts as repo
from aidis.repositories import projects as projects_repo
from aidis.repositories import sessions as sessions_repo
from aidis.repositories.contexts import ContextFilter
from aidis.services.base import Clock, ServiceBase
from aidis.services.caller import Caller, estimate_tokens
from aidis.services.projects import find_project
from aidis.services.sessions import SessionService

MAX_CONTENT = 100_000
MAX_TAGS = 20
MAX_TAG_LENGTH = 64


@dataclass(frozen=True, slots=True)
class StoredContext:
    """A stored context and the session it was counted on."""

    context: Context
    session: Session
    redactions: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ContextPage:
    """One page of contexts and the scope it was taken from."""

    items: list[Context]
    scope: str  # a project name, or "all projects"


def clean_tags(tags: Sequence[str]) -> list[str]:
    """Trim, de-duplicate (keeping order) and check tags."""
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"at most {MAX_TAGS} tags", field="tags")
    seen: list[str] = []
    for index, tag in enumerate(tags):
        cleaned = tag.strip()
        if not cleaned or len(cleaned) > MAX_TAG_LENGTH:
            raise InvalidInput(f"each tag must be 1–{MAX_TAG_LENGTH} characters", field=f"tags[{index}]")
        if cleaned not in seen:
            seen.append(cleaned)
    return seen


class ContextService(ServiceBase):
    """Store and search contexts, always in a project and counted on the caller's session."""

    def __init__(self, engine: Engine, clock: Clock, sessions: SessionService) -> None:
        super().__init__(engine, clock, sessions.telemetry)
        self.sessions = sessions

    def store(
        self,
        caller: Caller,
        content: str,
        *,
        context_type: ContextType = ContextType.NOTE,
        tags: Sequence[str] = (),
        project: str | None = None,
        input_chars: int | None = None,
    ) -> StoredContext:
        """Store a context on the caller's session (started lazily) and the session's project.

        Naming a real project from an Unassigned session assigns that session to it (once).
        The context, its event, the session counters and tokens are written in one transaction.
        """
        if not content.strip():
            raise InvalidInput("content must not be empty", field="content")
        if len(content) > MAX_CONTENT:
            raise InvalidInput(f"content must be at most {MAX_CONTENT} characters", field="content")
        found: Counter[str] = Counter()
        content = self.sessions.redactor.clean(content, "content", found)  # before anything is written
        cleaned_tags = clean_tags(
            [self.sessions.redactor.clean(t, f"tags[{i}]", found) for i, t in enumerate(tags)]
        )
        now = self.clock()
        with self.telemetry.tracer.start_as_current_span("aidis.context.store"), self.unit_of_work() as conn:
            target = find_project(conn, project) if project is not None else None
            session = self.sessions.ensure_in(
                conn,
                connection_id=caller.connection_id,
                agent_type=caller.agent_type,
                transport=caller.transport,
                workspaces=caller.workspaces if target is None else (),  # a named project is stronger
                now=now,
            )
            if target is not None:
                session = self.sessions.attribute_work_in(conn, session, target, now=now)
            project_id = target.id if target is not None else session.project_id
            context_id = uuid.uuid4()
            repo.insert_context(
                conn,
                context_id=context_id,
                project_id=project_id,
                session_id=session.id,
                context_type=context_type.value,
                content=content,
                tags=cleaned_tags,
                now=now,
                metadata={"redactions": dict(found)} if found else {},
            )
            session = self.sessions.record_call_in(
                conn,
                session,
                tool="context_store",
                now=now,
                event_type=EventType.CONTEXT_STORED,
                context_id=context_id,
                contexts=1,
                input_tokens=estimate_tokens(input_chars if input_chars is not None else len(content)),
                output_tokens=estimate_tokens(120),
                payload={"context_type": context_type.value, "project_id": str(project_id)},
            )
            stored = repo.get_context(conn, context_id)
            assert stored is not None
            return StoredContext(stored, session, dict(found))

    def _scope(
        self, conn: Connection, caller: Caller | None, project: str | None, all_projects: bool
    ) -> tuple[list[uuid.UUID] | None, str]:
        """Which projects a read may see: the named one, every one (only when asked), or the caller's."""
        if all_projects:
            if project is not None:
                raise InvalidInput("give either project or all_projects, not both", field="all_projects")
            return None, "all projects"
        chosen: Project | None = find_project(conn, project) if project is not None else None
        if chosen is None and caller is not None:
            open_session = sessions_repo.get_open_for_connection(conn, caller.connection_id)
            if open_session is not None:
                chosen = projects_repo.get_by_id(conn, open_session.project_id)
            else:
                state = connections_repo.get_connection(conn, caller.connection_id)
                if state is not None and state.current_project_id is not None:
                    chosen = projects_repo.get_by_id(conn, state.current_project_id)
        if chosen is None:
            chosen = find_project(conn, "Unassigned")
        return [chosen.id], chosen.display_name

    def search(
        self,
        caller: Caller | None,
        query: str,
        *,
        project: str | None = None,
        all_projects: bool = False,
        types: Sequence[ContextType] = (),
        tags: Sequence[str] = (),
        limit: int = 10,
        offset: int = 0,
    ) -> ContextPage:
        """Full-text search in one project (the caller's, unless another or all are asked for), ranked."""
        if not repo.search_terms(query):
            raise InvalidInput("query must contain at least one word", field="query")
        with self.reading() as conn:
            project_ids, scope = self._scope(conn, caller, project, all_projects)
            flt = ContextFilter(
                project_ids=project_ids, types=[t.value for t in types], tags=clean_tags(tags)
            )
            return ContextPage(repo.search(conn, query, flt, limit=limit, offset=offset), scope)

    def recent(
        self,
        caller: Caller | None,
        *,
        project: str | None = None,
        all_projects: bool = False,
        types: Sequence[ContextType] = (),
        limit: int = 10,
        offset: int = 0,
    ) -> ContextPage:
        """Newest contexts in one project (the caller's, unless another or all are asked for)."""
        with self.reading() as conn:
            project_ids, scope = self._scope(conn, caller, project, all_projects)
            flt = ContextFilter(project_ids=project_ids, types=[t.value for t in types])
            return ContextPage(repo.recent(conn, flt, limit=limit, offset=offset), scope)

    def for_session(self, session_id: uuid.UUID, *, limit: int = 200) -> list[Context]:
        """The contexts a session stored, newest first."""
        with self.reading() as conn:
            return repo.recent(conn, ContextFilter(session_id=session_id), limit=limit)
