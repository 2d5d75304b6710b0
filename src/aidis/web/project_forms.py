"""Dashboard forms that change projects and triage: workspaces, merge, accepting suggestions, claiming
a folder. Thin: each parses the form, calls one service, and redirects back with the outcome (the
Host/Origin/form-token checks run before any of them, in `browser_guard`)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from aidis.app import AppContext
from aidis.enums import Actor
from aidis.errors import AidisError
from aidis.web.api import no_nul_input

router = APIRouter(include_in_schema=False, dependencies=[Depends(no_nul_input)])


def _app(request: Request) -> AppContext:
    app: AppContext = request.app.state.aidis
    return app


def _back(target: str, **outcome: object) -> Response:
    joiner = "&" if "?" in target else "?"
    return RedirectResponse(
        f"{target}{joiner}{urlencode({k: v for k, v in outcome.items() if v is not None})}", 303
    )


def _local(back: str, default: str) -> str:
    return back if back.startswith("/") and not back.startswith("//") else default


@router.post("/projects/{ref}/workspaces")
def change_workspaces(
    request: Request,
    ref: str,
    action: Annotated[str, Form(max_length=10)] = "add",
    kind: Annotated[str, Form(max_length=10)] = "root",
    identity: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Add or remove one root (directory) or repo (git remote) of a project."""
    app = _app(request)
    page = f"/projects/{ref}"
    if kind not in ("root", "repo") or action not in ("add", "remove"):
        return _back(page, error="choose add or remove, and root or repo")
    if not identity.strip():
        return _back(page, error="give a directory or a git remote")
    verb = "add" if action == "add" else "remove"
    change = {f"{verb}_{kind}s": [identity.strip()]}
    try:
        project, _ = app.workspaces.update(ref, **change)
    except AidisError as exc:
        return _back(page, error=exc.message)
    return _back(f"/projects/{project.id}", done=f"{verb}ed {kind} {identity.strip()}")


@router.post("/projects/{ref}/merge")
def merge_project(
    request: Request,
    ref: str,
    target: Annotated[str, Form(max_length=200)] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Merge this project into the chosen one (after the confirmation box is ticked)."""
    app = _app(request)
    page = f"/projects/{ref}"
    if not target:
        return _back(page, error="choose the project to merge into")
    if confirm != "yes":
        return _back(page, error="tick the box to confirm the merge")
    try:
        report = app.merges.merge(ref, target, actor=Actor.USER)
    except AidisError as exc:
        return _back(page, error=exc.message)
    return _back(
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
    app = _app(request)
    target = _local(back, "/sessions?unassigned=1")
    if not session_ids:
        return _back(target, error="select at least one session")
    try:
        moved = app.triage.accept(session_ids)
    except AidisError as exc:
        return _back(target, error=exc.message)
    return _back(target, assigned=len(moved), to="their suggested projects")


@router.post("/projects/from-folder")
def claim_folder(
    request: Request,
    session_id: Annotated[str, Form(max_length=100)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=2000)] = "/sessions?unassigned=1",
) -> Response:
    """Create a project with the session's folder as its root, and move the session into it."""
    app = _app(request)
    target = _local(back, "/sessions?unassigned=1")
    try:
        project, _ = app.triage.claim_folder(session_id, name.strip() or None)
    except AidisError as exc:
        return _back(target, error=exc.message)
    return _back(target, assigned=1, to=project.name)
