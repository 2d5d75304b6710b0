"""Reading memory compactly first and in full on demand: search, recent, get by id, timeline.

Invariants: a read sees one project — the named one, the caller's (its open session's, else its
connection's current project), or every project only when asked — and never a deleted context
unless it asks for one by id; listings are compact hits (title, snippet, size), whole texts come
only from `get`; any query text is valid (see `aidis.search_syntax`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from aidis.enums import SENTINEL_DISPLAY_NAME, SENTINEL_PROJECT_ID, AuditKind, ContextType, Role, SearchMode
from aidis.errors import InvalidInput, NotFound
from aidis.records import Context, ContextHit, ContextRevision, Session, TouchedBy
from aidis.repositories import activity as activity_repo
from aidis.repositories import connections as connections_repo
from aidis.repositories import context_search as search_repo
from aidis.repositories import contexts as repo
from aidis.repositories import projects as projects_repo
from aidis.repositories import sessions as sessions_repo
from aidis.repositories.context_search import preview_of
from aidis.repositories.contexts import ContextFilter
from aidis.search_syntax import SearchQuery, parse_query
from aidis.services.base import ServiceBase
from aidis.services.caller import Caller
from aidis.services.principal import current_principal, own_sessions_only, readable_filter, require
from aidis.services.projects.catalog import find_project
from aidis.services.search import START, Candidate, HybridRanker, cut
from aidis.services.sessions.lookup import find_session
from aidis.services.text.rules import clean_tags

MAX_IDS = 20
ID_PREFIX = re.compile(r"[0-9a-f][0-9a-f-]{3,35}")  # the start of a UUID's text form, 4+ characters


@dataclass(frozen=True, slots=True)
class ContextPage:
    """One page of compact hits, the scope it was taken from, and whether more follow."""

    items: list[ContextHit]
    scope: str  # a project name, or "all projects"
    has_more: bool = False
    touched: list[TouchedBy] = field(default_factory=list)  # sessions whose agent touched the path asked for
    mode_used: SearchMode | None = None  # for a search: the ranking that produced the list
    notice: str | None = None  # for a search: why that is not the ranking asked for


@dataclass(frozen=True, slots=True)
class FullContext:
    """A context with its whole text and, when asked, its earlier revisions."""

    context: Context
    revisions: list[ContextRevision]


@dataclass(frozen=True, slots=True)
class Timeline:
    """What was stored just before and after a context in the same session."""

    anchor: ContextHit
    before: list[ContextHit]
    after: list[ContextHit]


@dataclass(frozen=True, slots=True)
class ContextQuery:
    """The filters of a listing or search (every one optional)."""

    project: str | None = None
    all_projects: bool = False
    types: Sequence[ContextType] = ()
    tags: Sequence[str] = ()
    session: str | None = None  # a session id or display id
    since: datetime | None = None
    until: datetime | None = None
    deleted: bool = False


PATH_LIKE = re.compile(r"^[\w.@+-]*[\w-](?:/[\w.@+-]+)*\.[A-Za-z0-9]{1,10}$|^[\w.@+-]+(?:/[\w.@+-]+)+/?$")


def path_in(text: str) -> str | None:
    """The file path a search names, when the whole query is one (`src/web/app.py`, `app.py`), else None:
    then search also answers which sessions touched it."""
    candidate = text.strip().strip("\"'`").strip("/")
    if " " in candidate or len(candidate) > 500 or not PATH_LIKE.match(candidate):
        return None
    return candidate


def caller_project(conn: Connection, caller: Caller | None) -> tuple[uuid.UUID, str]:
    """The (id, display name) of the project a caller works in: its open session's (read with the
    session, no second query), else its connection's current one, else Unassigned."""
    if caller is not None:
        open_session = sessions_repo.get_open_for_connection(conn, caller.connection_id)
        if open_session is not None:
            return open_session.project_id, open_session.project_display_name
        state = connections_repo.get_connection(conn, caller.connection_id)
        if state is not None and state.current_project_id is not None:
            current = projects_repo.get_by_id(conn, state.current_project_id)
            if current is not None:
                return current.id, current.display_name
    unassigned = find_project(conn, SENTINEL_DISPLAY_NAME)
    return unassigned.id, unassigned.display_name


def may_read(conn: Connection, context: Context) -> bool:
    """Whether the current request may read a context (its project; in Unassigned, its own session's)."""
    principal = current_principal()
    if principal is None:
        return True
    if not principal.may(context.project_id, Role.READ):
        return False
    if context.project_id == SENTINEL_PROJECT_ID and principal.owns_unassigned:
        owner = sessions_repo.owner_of(conn, context.session_id) if context.session_id else None
        return owner == principal.user_id
    return True


def scope_of(
    conn: Connection, caller: Caller | None, project: str | None, all_projects: bool
) -> tuple[list[uuid.UUID] | None, str]:
    """Which projects a read may see: the named one, every one (only when asked), or the caller's."""
    if all_projects:
        if project is not None:
            raise InvalidInput("give either project or all_projects, not both", field="all_projects")
        return readable_filter(None), "all projects"
    if project is not None:
        named = find_project(conn, project)
        return [named.id], named.display_name
    project_id, name = caller_project(conn, caller)
    require(project_id, Role.READ, name)  # a grant taken away since the session began
    return [project_id], name


def as_hit(context: Context, session: Session | None = None) -> ContextHit:
    """The compact view of a whole context (its session's display id when `session` stored it)."""
    display = session.display_id if session is not None and session.id == context.session_id else None
    return ContextHit(
        id=context.id,
        project_id=context.project_id,
        project_name=context.project_name,
        session_id=context.session_id,
        session_display_id=display,
        context_type=context.context_type,
        title=search_repo.title_of(context.content[: search_repo.HEAD_CHARS]),
        snippet=search_repo.preview_of(context.content[: search_repo.HEAD_CHARS]),
        tags=context.tags,
        created_at=context.created_at,
        chars=len(context.content),
        revision=context.revision,
        seen_count=context.seen_count,
        topic_key=context.topic_key,
        deleted=context.deleted_at is not None,
        redactions=context.redactions,
    )


def _session_id(conn: Connection, ref: str) -> uuid.UUID:
    """A session's id from its id or display id (one the request may not see is not found, exactly as a
    missing one: a filter must not tell which ids exist)."""
    return find_session(conn, ref, field="session").id


def _page_hits(conn: Connection, parsed: SearchQuery, page: list[Candidate]) -> list[ContextHit]:
    """A page of ranked ids as compact hits, each with a snippet around what matched."""
    rows = search_repo.page_rows(conn, [c.id for c in page])
    snippets = {i: cut(row.source, parsed, preview_of(row.head)) for i, row in rows.items()}
    deeper = [  # a word match past the part of the text read first: cut from the whole text
        c.id
        for c in page
        if c.id in rows
        and "keyword" in c.matched
        and START not in snippets[c.id]
        and rows[c.id].chars > search_repo.SNIPPET_SOURCE_CHARS
    ]
    for context_id, whole in search_repo.full_texts(conn, deeper).items():
        snippets[context_id] = cut(whole, parsed, snippets[context_id])
    return [
        search_repo.hit_of(rows[c.id], score=c.score, snippet=snippets[c.id], matched=c.matched)
        for c in page
        if c.id in rows
    ]


class ContextReadService(ServiceBase):
    """Find contexts again: compact listings, whole texts by id, and neighbours in a session."""

    ranker: HybridRanker  # set by build_app (it owns the process's embedder)

    def _filter(
        self, conn: Connection, caller: Caller | None, query: ContextQuery
    ) -> tuple[ContextFilter, str]:
        if query.since is not None and query.until is not None and query.since >= query.until:
            raise InvalidInput("since must be before until", field="since")
        project_ids, scope = scope_of(conn, caller, query.project, query.all_projects)
        flt = ContextFilter(
            project_ids=project_ids,
            types=[t.value for t in query.types],
            tags=clean_tags(query.tags),
            session_id=_session_id(conn, query.session) if query.session else None,
            since=query.since,
            until=query.until,
            deleted=query.deleted,
            unassigned_owner=own_sessions_only(),
        )
        return flt, scope

    def search(
        self,
        caller: Caller | None,
        text: str,
        query: ContextQuery,
        *,
        limit: int = 10,
        offset: int = 0,
        mode: SearchMode = SearchMode.HYBRID,
    ) -> ContextPage:
        """Search one project (the caller's, unless another or all are asked for): by words and by
        meaning fused (`mode` picks one), texts holding a typed identifier exactly first."""
        parsed = parse_query(text)
        if not parsed.had_words:
            raise InvalidInput("query must contain at least one word (letters or digits)", field="query")
        self.ranker.settle(mode)
        with self.reading() as conn:
            flt, scope = self._filter(conn, caller, query)
            ranking = self.ranker.rank(conn, parsed, text, flt, mode=mode, want=offset + limit + 1)
            page = ranking.candidates[offset : offset + limit + 1]
            hits = _page_hits(conn, parsed, page)
            path = path_in(text) if offset == 0 else None
            touched = (
                activity_repo.touched(
                    conn,
                    path,
                    project_ids=flt.project_ids,
                    since=query.since,
                    unassigned_owner=own_sessions_only(),
                )
                if path
                else []
            )
        self._audit_hits(hits[:limit], flt)
        return ContextPage(hits[:limit], scope, len(hits) > limit, touched, ranking.mode_used, ranking.notice)

    def recent(
        self, caller: Caller | None, query: ContextQuery, *, limit: int = 10, offset: int = 0
    ) -> ContextPage:
        """Newest contexts in one project (the caller's, unless another or all are asked for)."""
        with self.reading() as conn:
            flt, scope = self._filter(conn, caller, query)
            hits = search_repo.recent(conn, flt, limit=limit + 1, offset=offset)
        self._audit_hits(hits[:limit], flt)
        return ContextPage(hits[:limit], scope, len(hits) > limit)

    def _audit_hits(self, hits: Sequence[ContextHit], flt: ContextFilter) -> None:
        """A listing's read on the audit trail: per project, the ids shown (a miss names the scope)."""
        by_project: dict[uuid.UUID, list[uuid.UUID]] = {}
        for hit in hits:
            by_project.setdefault(hit.project_id, []).append(hit.id)
        if not by_project and flt.project_ids is not None and len(flt.project_ids) == 1:
            by_project[flt.project_ids[0]] = []
        for project_id, ids in by_project.items():
            self.audited(None, AuditKind.READ, project_id, ids)

    def get(self, ids: Sequence[uuid.UUID], *, with_revisions: bool = False) -> list[FullContext]:
        """Whole contexts by id (deleted ones too, marked), in the order asked."""
        if not ids:
            raise InvalidInput("give at least one id", field="ids")
        if len(ids) > MAX_IDS:
            raise InvalidInput(f"at most {MAX_IDS} ids at a time", field="ids")
        with self.reading() as conn:
            found = [c for c in repo.get_many(conn, list(dict.fromkeys(ids))) if may_read(conn, c)]
            if not found:
                raise NotFound("no context has any of these ids", field="ids")
            for project_id in {c.project_id for c in found}:
                self.audited(
                    None, AuditKind.READ, project_id, [c.id for c in found if c.project_id == project_id]
                )
            return [FullContext(c, repo.revisions(conn, c.id) if with_revisions else []) for c in found]

    def resolve_id(self, text: str, *, field: str = "id") -> uuid.UUID:
        """A context id from what any command printed: the whole id, or a unique start of it (at least
        four characters, as git takes commits); an ambiguous start lists its candidates, one that matches
        nothing the caller may read is NotFound — both naming `field`."""
        wanted = text.strip().lower()
        try:
            return uuid.UUID(wanted)
        except ValueError:
            pass
        if not ID_PREFIX.fullmatch(wanted):
            raise InvalidInput(
                f"{text!r} is not a context id (a UUID, or its first 4 or more characters as search "
                "and list print them)",
                field=field,
            )
        with self.reading() as conn:
            found = [c for c in repo.with_id_prefix(conn, wanted, limit=50) if may_read(conn, c)]
        if not found:
            raise NotFound(f"no context id starts with {wanted!r}", field=field)
        if len(found) > 1:
            listed = "; ".join(f"{c.id} ({c.context_type}: {_first_line(c.content)})" for c in found[:10])
            more = f" and {len(found) - 10} more" if len(found) > 10 else ""
            raise InvalidInput(
                f"{wanted!r} is the start of {len(found)} context ids: {listed}{more}; give more characters",
                field=field,
            )
        return found[0].id

    def timeline(self, context_id: uuid.UUID, *, before: int = 3, after: int = 3) -> Timeline:
        """Contexts stored just before and after one context, in its session."""
        with self.reading() as conn:
            anchor = repo.get_context(conn, context_id)
            if anchor is None or not may_read(conn, anchor):
                raise NotFound(f"no context {context_id}", field="id")
            prior, following = search_repo.timeline(conn, anchor, before=before, after=after)
            hit = search_repo.recent(conn, ContextFilter(ids=[anchor.id], deleted=None), limit=1)
        self._audit_hits([hit[0], *prior, *following], ContextFilter(project_ids=[anchor.project_id]))
        return Timeline(hit[0], prior, following)

    def deleted_ids(self, *, project: str | None = None) -> list[uuid.UUID]:
        """Ids of every deleted (not yet purged) context, in one project or all."""
        with self.reading() as conn:
            project_ids, _ = scope_of(conn, None, project, project is None)
            return repo.ids_matching(conn, ContextFilter(project_ids=project_ids, deleted=True))

    def for_session(self, session_id: uuid.UUID, *, limit: int = 200) -> list[Context]:
        """The live contexts a session stored, newest first, whole (for the session's page)."""
        with self.reading() as conn:
            found = repo.recent_full(conn, ContextFilter(session_id=session_id), limit=limit)
        for project_id in {c.project_id for c in found}:  # whole texts shown: a read on the trail
            self.audited(
                None, AuditKind.READ, project_id, [c.id for c in found if c.project_id == project_id]
            )
        return found


def _first_line(text: str) -> str:
    """A context's first non-empty line, cut to 60 characters (to tell candidates apart)."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= 60 else line[:59] + "…"
