"""JSON API under /api/v1: projects, sessions (filters, sort, cursor paging, bulk assign), stats."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from aidis.app import AppContext
from aidis.enums import SENTINEL_DISPLAY_NAME, SENTINEL_PROJECT_ID, Actor, SessionStatus
from aidis.errors import InvalidInput
from aidis.records import Cursor, SessionFilter
from aidis.schemas import ActivityOut, ActivityRowOut, ChangeOut, ContextOut, ProjectOut, SessionOut, StatsOut
from aidis.textrules import refuse_nul


class ErrorDetail(BaseModel):
    """One broken rule of a request."""

    field: str
    message: str


class ErrorBody(BaseModel):
    """What went wrong, and which input it concerns."""

    code: str
    message: str
    field: str | None = None
    hints: list[str] | None = None
    errors: list[ErrorDetail] | None = None


class ErrorOut(BaseModel):
    """The one error shape of the API."""

    error: ErrorBody


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in (
        (401, "Missing or wrong bearer token (when AIDIS_AUTH_TOKEN is set)"),
        (403, "Forbidden"),
        (404, "Not found"),
        (409, "Conflicts with the current state"),
        (415, "A request body that is not application/json"),
        (422, "Invalid input; `field` names it"),
        (503, "Database unavailable"),
    )
}


async def no_nul_input(request: Request) -> None:
    """Refuse a NUL character anywhere in the query, the path or the body (both engines alike)."""
    for key, value in request.query_params.multi_items():  # every value of a repeated key (`tag=…&tag=…`)
        refuse_nul({key: value})
    refuse_nul(dict(request.path_params))
    content_type = request.headers.get("content-type", "")
    if "form" in content_type:  # FastAPI parses (and caches) the form itself; read it the same way
        form = await request.form()
        refuse_nul({key: value for key, value in form.multi_items() if isinstance(value, str)})
        return
    body = await request.body()
    if body and "json" in content_type:
        try:
            parsed = json.loads(body)
        except ValueError:
            return  # not JSON: the body model's own validation names the problem
        refuse_nul(parsed)


router = APIRouter(prefix="/api/v1", responses=ERRORS, dependencies=[Depends(no_nul_input)])


def get_app(request: Request) -> AppContext:
    """The AppContext the web app was built with."""
    app: AppContext = request.app.state.aidis
    return app


App = Annotated[AppContext, Depends(get_app)]


def only_query(*allowed: str) -> Any:
    """A dependency that refuses unknown query parameters (a typo must not silently widen a filter)."""

    def check(request: Request) -> None:
        unknown = sorted(set(request.query_params) - set(allowed))
        if unknown:
            raise InvalidInput(
                f"unknown query parameter {unknown[0]!r}; allowed: {', '.join(allowed)}", field=unknown[0]
            )

    return Depends(check)


# ---- projects -------------------------------------------------------------------------------


class ProjectList(BaseModel):
    items: list[ProjectOut]


@router.get("/projects", dependencies=[only_query("include_archived")], tags=["projects"])
def list_projects(app: App, include_archived: bool = True) -> ProjectList:
    """Every project with its session count."""
    return ProjectList(
        items=[
            ProjectOut.of(s.project, s.session_count)
            for s in app.projects.list(include_archived=include_archived)
        ]
    )


class DayOut(BaseModel):
    day: str
    project_id: str
    project_name: str
    sessions: int


class ProjectDetail(BaseModel):
    project: ProjectOut
    stats: StatsOut
    per_day: list[DayOut]


@router.get("/projects/{ref}", dependencies=[only_query("since")], tags=["projects"])
def project_detail(
    app: App, ref: Annotated[str, Field(max_length=200)], since: datetime | None = None
) -> ProjectDetail:
    """One project (by name or id) with its statistics and sessions per day."""
    project = app.projects.get(ref)
    stats = app.stats.session_stats(str(project.id), since=since)
    days = app.stats.sessions_per_day(str(project.id), since=since)
    return ProjectDetail(
        project=ProjectOut.of(project, stats.total), stats=StatsOut.of(stats), per_day=[_day(d) for d in days]
    )


def _day(d: Any) -> DayOut:
    name = SENTINEL_DISPLAY_NAME if d.project_id == SENTINEL_PROJECT_ID else d.project_name
    return DayOut(day=d.day, project_id=str(d.project_id), project_name=name, sessions=d.sessions)


# ---- sessions -------------------------------------------------------------------------------


def encode_cursor(session: Any, sort: str) -> str:
    """An opaque cursor for the row after `session` in `sort` order."""
    key = session.started_at if "started_at" in sort else session.last_activity_at
    return base64.urlsafe_b64encode(f"{key.isoformat()}|{session.id}".encode()).decode()


def decode_cursor(raw: str) -> Cursor:
    """Parse a cursor from `encode_cursor`; InvalidInput naming `cursor` otherwise."""
    try:
        key, _, ident = base64.urlsafe_b64decode(raw.encode()).decode().partition("|")
        return Cursor(datetime.fromisoformat(key), uuid.UUID(ident))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor is not one this API returned", field="cursor") from exc


class SessionPage(BaseModel):
    items: list[SessionOut]
    total: int
    next_cursor: str | None


SESSION_QUERY = ("project", "status", "unassigned", "agent", "since", "until", "q", "sort", "limit", "cursor")


def session_filter(
    app: AppContext,
    project: str | None,
    status: SessionStatus | None,
    unassigned: bool,
    agent: str | None,
    since: date | datetime | None,
    until: date | datetime | None,
    q: str | None,
) -> SessionFilter:
    """Build a SessionFilter from request values (shared by the API and the pages)."""
    return SessionFilter(
        project_id=app.projects.get(project).id if project else None,
        status=status.value if status else None,
        unassigned=unassigned,
        agent_type=agent or None,
        since=_as_datetime(since),
        until=_as_datetime(until),
        text=(q or "").strip() or None,
    )


def _as_datetime(value: date | datetime | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidInput(
                "timestamps need a UTC offset (e.g. 2026-01-31T00:00:00Z)", field="since/until"
            )
        return value
    return datetime.combine(value, time.min, tzinfo=UTC)


@router.get("/sessions", dependencies=[only_query(*SESSION_QUERY)], tags=["sessions"])
def list_sessions(
    app: App,
    project: Annotated[str | None, Query(max_length=200)] = None,
    status: SessionStatus | None = None,
    unassigned: bool = False,
    agent: Annotated[str | None, Query(max_length=64)] = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in title, goal or display id")] = None,
    sort: Annotated[str, Query(pattern="^-?(started_at|last_activity_at)$")] = "-started_at",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> SessionPage:
    """Sessions, newest first by default; filter, sort, and page with `next_cursor`."""
    flt = session_filter(app, project, status, unassigned, agent, since, until, q)
    after = decode_cursor(cursor) if cursor else None
    items, total = app.sessions.list(flt, limit=limit, sort=sort, after=after, peek=True)
    has_more = len(items) > limit
    page = items[:limit]
    now = app.clock()
    return SessionPage(
        items=[SessionOut.of(s, now) for s in page],
        total=total or 0,
        next_cursor=encode_cursor(page[-1], sort) if has_more and page else None,
    )


class EventOut(BaseModel):
    occurred_at: datetime
    event_type: str
    actor: str
    project_id: str
    tool_name: str | None
    status: str
    duration_ms: int | None
    payload: dict[str, Any]


class SessionDetail(BaseModel):
    session: SessionOut
    events: list[EventOut]
    contexts: list[ContextOut]
    changes: list[ChangeOut]
    activity: ActivityOut


@router.get("/sessions/{ref}", dependencies=[only_query()], tags=["sessions"])
def session_detail(app: App, ref: Annotated[str, Field(max_length=64)]) -> SessionDetail:
    """One session (by id or display id) with its events, contexts and project-change history."""
    detail = app.sessions.detail(ref)
    return SessionDetail(
        session=SessionOut.of(detail.session, app.clock()),
        events=[
            EventOut(
                occurred_at=e.occurred_at,
                event_type=e.event_type,
                actor=e.actor,
                project_id=str(e.project_id),
                tool_name=e.tool_name,
                status=e.status,
                duration_ms=e.duration_ms,
                payload=e.payload,
            )
            for e in detail.events
        ],
        contexts=[ContextOut.of(c) for c in app.context_reads.for_session(detail.session.id)],
        changes=[ChangeOut.of(c) for c in detail.changes],
        activity=ActivityOut.of(app.activity.digest(detail.session.id)),
    )


@router.get("/sessions/{ref}/activity", dependencies=[only_query()], tags=["sessions"])
def session_activity(app: App, ref: Annotated[str, Field(max_length=64)]) -> list[ActivityRowOut]:
    """Everything a session's agent did, oldest first (files, commands, test runs, failures; at most 500
    rows a session, counts only beyond)."""
    return [ActivityRowOut.model_validate(row) for row in app.activity.for_session(ref)]


class BulkAssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=1000
    )
    project: str = Field(min_length=1, max_length=200, description="Project name or id")


class BulkAssignOut(BaseModel):
    assigned: int
    project: ProjectOut
    sessions: list[SessionOut]


@router.post("/sessions/assign", tags=["sessions"])
def bulk_assign(app: App, body: BulkAssignIn) -> BulkAssignOut:
    """Move sessions (ids or display ids) to one project: one transaction, all or nothing, each move recorded."""
    moved = app.sessions.assign_many(body.session_ids, body.project, actor=Actor.USER)
    project = app.projects.get(body.project)
    now = app.clock()
    return BulkAssignOut(
        assigned=len(moved), project=ProjectOut.of(project), sessions=[SessionOut.of(s, now) for s in moved]
    )


# ---- stats ----------------------------------------------------------------------------------


@router.get("/stats", dependencies=[only_query("project", "since", "until")], tags=["stats"])
def stats(
    app: App,
    project: Annotated[str | None, Query(max_length=200)] = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
) -> StatsOut:
    """Session counts, durations, contexts, events and tokens (for one project when given)."""
    return StatsOut.of(app.stats.session_stats(project, _as_datetime(since), _as_datetime(until)))


class DailyOut(BaseModel):
    days: list[DayOut]


@router.get("/stats/daily", dependencies=[only_query("project", "since", "until")], tags=["stats"])
def daily(
    app: App,
    project: Annotated[str | None, Query(max_length=200)] = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
) -> DailyOut:
    """Sessions started per UTC day per project."""
    days = app.stats.sessions_per_day(project, _as_datetime(since), _as_datetime(until))
    return DailyOut(days=[_day(d) for d in days])
