"""The audit trail on the web: a page and a JSON listing, for server admins only (the trail names every
person and what they read); the service refuses anyone else, so both surfaces stay thin."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import AwareDatetime, BaseModel
from starlette.responses import Response

from aidis.app import AppContext
from aidis.errors import AidisError
from aidis.records import AuditEntry
from aidis.web.api import ERRORS, App, no_nul_input, only_query
from aidis.web.views import error_page, render

api_router = APIRouter(
    prefix="/api/v1", responses=ERRORS, dependencies=[Depends(no_nul_input)], tags=["audit"]
)
page_router = APIRouter(include_in_schema=False, dependencies=[Depends(no_nul_input)])


class AuditEntryOut(BaseModel):
    occurred_at: datetime
    user: str | None
    surface: str
    address: str | None
    action: str
    kind: str
    project_id: uuid.UUID | None
    target_ids: list[str]
    item_count: int
    outcome: str

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        """The API shape of one entry (ids and counts, never content)."""
        return cls(
            occurred_at=entry.occurred_at,
            user=entry.user_name,
            surface=entry.surface,
            address=entry.address,
            action=entry.action,
            kind=entry.kind,
            project_id=entry.project_id,
            target_ids=entry.target_ids,
            item_count=entry.item_count,
            outcome=entry.outcome,
        )


class AuditPage(BaseModel):
    items: list[AuditEntryOut]


@api_router.get("/audit", dependencies=[only_query("user", "project", "since", "limit")])
def audit_entries(
    app: App,
    user: Annotated[str | None, Query(max_length=200)] = None,
    project: Annotated[str | None, Query(max_length=200)] = None,
    since: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
) -> AuditPage:
    """Who read and changed what, newest first (server admins only)."""
    found = app.audit.entries(user=user, project=project, since=since, limit=limit)
    return AuditPage(items=[AuditEntryOut.of(e) for e in found])


@page_router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    user: Annotated[str | None, Query(max_length=200)] = None,
    project: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The newest audit entries, filtered by person and project."""
    app: AppContext = request.app.state.aidis
    try:
        found = app.audit.entries(user=user or None, project=project or None, limit=200)
    except AidisError as exc:
        return error_page(request, exc)
    return render(request, "audit.html", entries=found, user=user or "", project=project or "")
