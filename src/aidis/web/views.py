"""Dashboard pages: overview, sessions (with Unassigned triage), session detail, projects."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from aidis.app import AppContext
from aidis.enums import SENTINEL_PROJECT_ID, Actor, SessionStatus, UsageShape
from aidis.errors import AidisError, InvalidInput
from aidis.records import SessionFilter
from aidis.schemas import ActivityOut, ContextOut, SessionOut
from aidis.web.api import decode_cursor, encode_cursor, no_nul_input, session_filter
from aidis.web.charts import stack_by_project, stacked_bars_svg
from aidis.web.errors import status_of
from aidis.web.wording import actor_words, event_words

router = APIRouter(include_in_schema=False, dependencies=[Depends(no_nul_input)])
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
PAGE_SIZE = 50
CHART_DAYS = 30


def _app(request: Request) -> AppContext:
    app: AppContext = request.app.state.aidis
    return app


def duration(seconds: float | None) -> str:
    """'1h 02m', '3m 05s', '12s'."""
    if seconds is None:
        return "–"
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def when(value: datetime | None) -> str:
    """A UTC timestamp as 'YYYY-MM-DD HH:MM'."""
    return value.strftime("%Y-%m-%d %H:%M") if value else "–"


templates.env.filters["duration"] = duration
templates.env.filters["when"] = when
templates.env.filters["event_words"] = event_words
templates.env.filters["actor_words"] = actor_words
templates.env.filters["num"] = lambda n: f"{n:,}".replace(",", "\u202f")


def usd(value: Decimal | float | None) -> str:
    """'$1,234.56', '$0.0042' (small amounts keep their digits), or 'unpriced'."""
    if value is None:
        return "unpriced"
    amount = float(value)
    return f"${amount:,.2f}" if amount >= 1 or amount == 0 else f"${amount:.4f}"


templates.env.filters["usd"] = usd


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page template."""
    return templates.TemplateResponse(
        request, name, {"nav": name.split(".")[0], **context}, status_code=status_code
    )


def redirect_back(target: str, **outcome: object) -> Response:
    """303 to a dashboard page with the outcome of a form in its query (None values left out)."""
    joiner = "&" if "?" in target else "?"
    query = urlencode({k: v for k, v in outcome.items() if v is not None})
    return RedirectResponse(f"{target}{joiner}{query}", 303)


def form_refused(request: Request, target: str, error: AidisError) -> Response:
    """Back to the form's page with the error's words; a refusal (a grant missing, or something the
    person may not see) goes on the audit trail first, as it does on the API and MCP."""
    request.app.state.aidis.audit.denied(error)
    return redirect_back(target, error=error.message)


def error_page(request: Request, error: AidisError) -> HTMLResponse:
    """A page that explains what went wrong (the same words the API uses)."""
    request.app.state.aidis.audit.denied(error)  # records refusals (a grant missing, a hidden id)
    return render(request, "error.html", status_code=status_of(error), error=error)


def _chart(app: AppContext, project: str | None) -> tuple[Any, dict[str, int]]:
    """The per-day chart of the last CHART_DAYS days, and that window's session and token totals."""
    today = app.clock().date()
    first = today - timedelta(days=CHART_DAYS - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=app.clock().tzinfo)
    rows = app.stats.sessions_per_day(project, since=since)
    days, series = stack_by_project(rows, first, today)
    window = {
        "total": sum(r.sessions for r in rows),
        "tokens": sum(r.tokens for r in rows),
        "unassigned": sum(r.sessions for r in rows if r.project_id == SENTINEL_PROJECT_ID),
    }
    return stacked_bars_svg(days, series), window


@router.get("/", response_class=HTMLResponse)
def overview(request: Request) -> Response:
    """Sessions per project per day, active now, unassigned count, recent sessions."""
    app = _app(request)
    totals = app.stats.totals()
    chart, window = _chart(app, None)
    recent, _ = app.sessions.list(SessionFilter(), limit=10, with_total=False)
    return render(
        request,
        "overview.html",
        totals=totals,
        chart=chart,
        window=window,
        chart_days=CHART_DAYS,
        recent=[SessionOut.of(s, app.clock()) for s in recent],
        cost=_window_cost(app, None),
    )


def _window_cost(app: AppContext, project: str | None) -> Any:
    """Tokens and cost over the chart's window (UTC days), for a project or every readable one."""
    since = app.clock().date() - timedelta(days=CHART_DAYS - 1)
    return app.usage.report(UsageShape.PROJECT, since=since, project=project, timezone="UTC").total


@router.get("/sessions", response_class=HTMLResponse)
def sessions_page(
    request: Request,
    project: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    unassigned: bool = False,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    assigned: Annotated[int | None, Query(ge=0)] = None,
    to: Annotated[str | None, Query(max_length=200)] = None,
    error: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """The sessions table with filter chips, a project filter, search, paging and triage."""
    app = _app(request)
    try:
        status_value = SessionStatus(status) if status else None
    except ValueError:
        return error_page(request, InvalidInput(f"unknown status {status!r}", field="status"))
    try:
        flt = session_filter(app, project or None, status_value, unassigned, None, None, None, q)
        after = decode_cursor(cursor) if cursor else None
        items, total = app.sessions.list(flt, limit=PAGE_SIZE + 1, after=after)
    except AidisError as exc:
        return error_page(request, exc)
    page = items[:PAGE_SIZE]
    keep = {
        "project": project or "",
        "status": status or "",
        "q": q or "",
        "unassigned": "1" if unassigned else "",
    }
    keep = {k: v for k, v in keep.items() if v}
    next_url = None
    if len(items) > PAGE_SIZE:
        next_url = "/sessions?" + urlencode({**keep, "cursor": encode_cursor(page[-1], "-started_at")})
    totals = app.stats.totals()
    suggested = app.triage.suggestions(page)
    return render(
        request,
        "sessions.html",
        sessions=[SessionOut.of(s, app.clock()) for s in page],
        suggestions={str(k): v for k, v in suggested.items()},
        total=total,
        next_url=next_url,
        projects=app.projects.choices(),
        filters={"project": project or "", "status": status or "", "q": q or "", "unassigned": unassigned},
        statuses=[s.value for s in SessionStatus],
        totals=totals,
        back="/sessions?" + urlencode(keep),
        assigned=assigned,
        assigned_to=to,
        error=error,
    )


@router.post("/sessions/assign")
def assign_from_page(
    request: Request,
    project: Annotated[str, Form(max_length=200)] = "",
    session_ids: Annotated[list[str] | None, Form(max_length=1000)] = None,
    back: Annotated[str, Form(max_length=2000)] = "/sessions",
) -> Response:
    """Assign the ticked sessions to a project (one transaction), then return to the same list."""
    app = _app(request)
    target = back if back.startswith("/sessions") else "/sessions"
    if not session_ids:
        return redirect_back(target, error="select at least one session")
    if not project:
        return redirect_back(target, error="choose a project to assign to")
    try:
        moved = app.sessions.assign_many(session_ids, project, actor=Actor.USER)
    except AidisError as exc:
        return form_refused(request, target, exc)
    name = moved[0].project_display_name if moved else project
    return redirect_back(target, assigned=len(moved), to=name)


@router.get("/sessions/{ref}", response_class=HTMLResponse)
def session_page(request: Request, ref: str) -> Response:
    """One session: its timeline of events, its contexts, its project changes."""
    app = _app(request)
    try:
        detail = app.sessions.detail(ref)
    except AidisError as exc:
        return error_page(request, exc)
    projects = app.projects.choices(include_archived=True)
    names = {p.id: p.display_name for p in projects}
    return render(
        request,
        "session.html",
        choices=[p for p in projects if not p.is_sentinel and p.status == "active"],
        session=SessionOut.of(detail.session, app.clock()),
        events=detail.events,
        contexts=[ContextOut.of(c) for c in app.context_reads.for_session(detail.session.id)],
        changes=detail.changes,
        names=names,
        workspace=detail.session.metadata.get("workspace"),
        summary=detail.session.metadata.get("summary"),
        usage=(detail.session.metadata.get("transcript") or {}).get("models"),
        cost=app.usage.report(UsageShape.SESSION, session=detail.session.id, timezone="UTC").total,
        activity=ActivityOut.of(app.activity.digest(detail.session.id)),
    )


@router.get("/projects", response_class=HTMLResponse)
def projects_page(request: Request) -> Response:
    """Every project with its session count."""
    app = _app(request)
    return render(request, "projects.html", projects=app.projects.list())


@router.get("/projects/{ref}", response_class=HTMLResponse)
def project_page(request: Request, ref: str) -> Response:
    """One project: its statistics, sessions per day, recent sessions."""
    app = _app(request)
    try:
        project = app.projects.get(ref)
    except AidisError as exc:
        return error_page(request, exc)
    recent, total = app.sessions.list(SessionFilter(project_id=project.id), limit=20)
    return render(
        request,
        "project.html",
        project=project,
        workspaces=app.workspaces.list(str(project.id)),
        merge_targets=[p for p in app.projects.choices() if p.id != project.id and not p.is_sentinel],
        done=request.query_params.get("done"),
        error=request.query_params.get("error"),
        stats=app.stats.session_stats(str(project.id)),
        chart=_chart(app, str(project.id))[0],
        chart_days=CHART_DAYS,
        total=total,
        recent=[SessionOut.of(s, app.clock()) for s in recent],
        cost=_window_cost(app, str(project.id)),
    )
