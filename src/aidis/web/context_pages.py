"""Dashboard pages for memory: search contexts across projects with filters, read one in full with
its revisions, and edit, delete (after a confirmation), purge or restore it. Thin: each handler
parses its input and calls one service; edits made here are recorded as the user's."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape
from starlette.responses import Response

from aidis.enums import ContextType, SearchMode
from aidis.errors import AidisError, InvalidInput
from aidis.schemas import ContextOut, ContextRevisionOut
from aidis.services.caller import estimate_tokens
from aidis.services.memory.reads import ContextQuery
from aidis.web.api import get_app, no_nul_input
from aidis.web.views import error_page, form_refused, redirect_back, render, templates

router = APIRouter(include_in_schema=False, dependencies=[Depends(no_nul_input)])
PAGE_SIZE = 25


def highlight(snippet: str) -> Markup:
    """A snippet as HTML: escaped, with the engine's match markers turned into <mark>."""
    escaped = str(escape(snippet))
    return Markup(escaped.replace("\x02", "<mark>").replace("\x03", "</mark>"))  # noqa: S704 - escaped above


templates.env.filters["highlight"] = highlight
templates.env.filters["tokens"] = estimate_tokens


def _day(value: str, field: str, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field} must be a date like 2026-11-27", field=field) from None
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


def _context_type(value: str) -> ContextType | None:
    """A form's type field: empty is none, anything else must be a known type."""
    if not value:
        return None
    try:
        return ContextType(value)
    except ValueError:
        raise InvalidInput(f"unknown type {value!r}", field="type") from None


@router.get("/contexts", response_class=HTMLResponse)
def contexts_page(
    request: Request,
    q: Annotated[str, Query(max_length=500)] = "",
    mode: SearchMode = SearchMode.HYBRID,
    project: Annotated[str, Query(max_length=200)] = "",
    type: Annotated[str, Query(max_length=30)] = "",
    tag: Annotated[str, Query(max_length=64)] = "",
    session: Annotated[str, Query(max_length=64)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    deleted: bool = False,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    done: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """Search (or list, newest first) contexts across projects, with filters and highlighted snippets."""
    app = get_app(request)
    filters = {
        "q": q, "mode": "" if mode is SearchMode.HYBRID else mode.value, "project": project, "type": type, "tag": tag, "session": session,
        "since": since, "until": until, "deleted": "1" if deleted else "",
    }  # fmt: skip
    try:
        chosen = _context_type(type)
        query = ContextQuery(
            project=project or None,
            all_projects=not project,
            types=[chosen] if chosen is not None else [],
            tags=[tag] if tag else [],
            session=session or None,
            since=_day(since, "since"),
            until=_day(until, "until", end=True),
            deleted=deleted,
        )
        reads = app.context_reads
        page = (
            reads.search(None, q, query, limit=PAGE_SIZE, offset=offset, mode=mode)
            if q.strip()
            else reads.recent(None, query, limit=PAGE_SIZE, offset=offset)
        )
    except AidisError as exc:
        return error_page(request, exc)
    keep = {k: v for k, v in filters.items() if v}
    next_url = "/contexts?" + urlencode({**keep, "offset": offset + PAGE_SIZE}) if page.has_more else None
    return render(
        request,
        "contexts.html",
        hits=page.items,
        filters=filters,
        projects=app.projects.choices(),
        types=[t.value for t in ContextType],
        next_url=next_url,
        done=done,
        modes=[m.value for m in SearchMode],
        mode_used=page.mode_used.value if page.mode_used is not None else None,
        notice=page.notice,
    )


@router.get("/contexts/{context_id}", response_class=HTMLResponse)
def context_page(
    request: Request,
    context_id: uuid.UUID,
    done: Annotated[str | None, Query(max_length=500)] = None,
    error: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """One context in full, its revisions, and the forms to edit, delete, purge or restore it."""
    app = get_app(request)
    try:
        (found,) = app.context_reads.get([context_id], with_revisions=True)
    except AidisError as exc:
        return error_page(request, exc)
    return render(
        request,
        "context.html",
        context=ContextOut.of(found.context),
        revisions=[ContextRevisionOut.of(r) for r in found.revisions],
        types=[t.value for t in ContextType],
        done=done,
        error=error,
    )


@router.post("/contexts/{context_id}/edit")
def edit_context(
    request: Request,
    context_id: uuid.UUID,
    content: Annotated[str, Form(max_length=100_000)] = "",
    type: Annotated[str, Form(max_length=30)] = "",
    tags: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Save an edited context (the previous version becomes a revision)."""
    app = get_app(request)
    page = f"/contexts/{context_id}"
    try:
        edited = app.context_edits.update(
            None,
            context_id,
            content=content,
            context_type=_context_type(type),
            tags=[t for t in (part.strip() for part in tags.split(",")) if t],
        )
    except AidisError as exc:
        return form_refused(request, page, exc)
    return redirect_back(page, done=f"{edited.action} (revision {edited.context.revision})")


@router.post("/contexts/{context_id}/delete")
def delete_context(
    request: Request,
    context_id: uuid.UUID,
    confirm: Annotated[str, Form(max_length=10)] = "",
    purge: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Delete (restorable) or purge (for good) a context, once the confirmation box is ticked."""
    app = get_app(request)
    page = f"/contexts/{context_id}"
    if confirm != "yes":
        return redirect_back(page, error="tick the box to confirm")
    try:
        edited = app.context_edits.delete(None, context_id, purge=purge == "yes", reason=reason or None)
    except AidisError as exc:
        return form_refused(request, page, exc)
    return redirect_back(page, done=edited.action)


@router.post("/contexts/{context_id}/restore")
def restore_context(request: Request, context_id: uuid.UUID) -> Response:
    """Bring back a deleted context."""
    app = get_app(request)
    page = f"/contexts/{context_id}"
    try:
        edited = app.context_edits.restore(None, context_id)
    except AidisError as exc:
        return form_refused(request, page, exc)
    return redirect_back(page, done=edited.action)
