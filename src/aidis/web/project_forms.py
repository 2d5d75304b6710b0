"""Dashboard forms that change projects and triage: workspaces, merge, accepting suggestions, claiming
a folder. Thin: each parses the form, calls one service, and redirects back with the outcome (the
Host/Origin/form-token checks run before any of them, in `browser_guard`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from aidis.enums import Actor
from aidis.errors import AidisError
from aidis.web.api import get_app, no_nul_input
from aidis.web.security import safe_next
from aidis.web.views import form_refused, redirect_back

router = APIRouter(include_in_schema=False, dependencies=[Depends(no_nul_input)])


@router.post("/projects/{ref}/workspaces")
def change_workspaces(
    request: Request,
    ref: str,
    action: Annotated[str, Form(max_length=10)] = "add",
    kind: Annotated[str, Form(max_length=10)] = "root",
    identity: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Add or remove one root (directory) or repo (git remote) of a project."""
    app = get_app(request)
    page = f"/projects/{ref}"
    if kind not in ("root", "repo") or action not in ("add", "remove"):
        return redirect_back(page, error="choose add or remove, and root or repo")
    if not identity.strip():
        return redirect_back(page, error="give a directory or a git remote")
    verb = "add" if action == "add" else "remove"
    change = {f"{verb}_{kind}s": [identity.strip()]}
    try:
        project, _ = app.workspaces.update(ref, **change)
    except AidisError as exc:
        return form_refused(request, page, exc)
    return redirect_back(f"/projects/{project.id}", done=f"{verb}ed {kind} {identity.strip()}")


@router.post("/projects/{ref}/merge")
def merge_project(
    request: Request,
    ref: str,
    target: Annotated[str, Form(max_length=200)] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Merge this project into the chosen one (after the confirmation box is ticked)."""
    app = get_app(request)
    page = f"/projects/{ref}"
    if not target:
        return redirect_back(page, error="choose the project to merge into")
    if confirm != "yes":
        return redirect_back(page, error="tick the box to confirm the merge")
    try:
        report = app.merges.merge(ref, target, actor=Actor.USER)
    except AidisError as exc:
        return form_refused(request, page, exc)
    return redirect_back(
        f"/projects/{report.target.id}",
        done=f"merged {report.merged} into {report.target.name}: {report.sessions} sessions moved",
    )


@router.post("/sessions/accept-suggestions")
def accept_suggestions(
    request: Request,
    session_ids: Annotated[list[str] | None, Form(max_length=1000)] = None,
    back: Annotated[str, Form(max_length=2000)] = "/sessions?unassigned=1",
) -> Response:
    """Assign each ticked Unassigned session to its suggested project (one transaction)."""
    app = get_app(request)
    target = safe_next(back, "/sessions?unassigned=1")
    if not session_ids:
        return redirect_back(target, error="select at least one session")
    try:
        moved = app.triage.accept(session_ids)
    except AidisError as exc:
        return form_refused(request, target, exc)
    return redirect_back(target, assigned=len(moved), to="their suggested projects")


@router.post("/projects/from-folder")
def claim_folder(
    request: Request,
    session_id: Annotated[str, Form(max_length=100)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=2000)] = "/sessions?unassigned=1",
) -> Response:
    """Create a project with the session's folder as its root, and move the session into it."""
    app = get_app(request)
    target = safe_next(back, "/sessions?unassigned=1")
    try:
        project, _ = app.triage.claim_folder(session_id, name.strip() or None)
    except AidisError as exc:
        return form_refused(request, target, exc)
    return redirect_back(target, assigned=1, to=project.name)
