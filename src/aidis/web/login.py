"""Dashboard login with the server's token (only when AIDIS_AUTH_TOKEN is set)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from aidis.app import AppContext
from aidis.web.security import COOKIE, cookie_value, safe_next
from aidis.web.views import render

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    """The token form."""
    return render(request, "login.html", next=safe_next(next), error=None)


@router.post("/login")
def login(
    request: Request,
    token: Annotated[str, Form(max_length=500)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the token; on success set the dashboard cookie (derived from the token) and go on."""
    app: AppContext = request.app.state.aidis
    expected = app.settings.auth_token
    if not expected:
        return RedirectResponse(safe_next(next), 303)
    if not hmac.compare_digest(token.strip(), expected):
        return render(
            request, "login.html", status_code=401, next=safe_next(next), error="That token is not right."
        )
    response = RedirectResponse(safe_next(next), 303)
    secure = request.url.scheme == "https"
    response.set_cookie(
        COOKIE, cookie_value(expected), httponly=True, samesite="strict", secure=secure, max_age=30 * 86400
    )
    return response


@router.post("/logout")
def logout() -> Response:
    """Forget the dashboard cookie."""
    response = RedirectResponse("/login", 303)
    response.delete_cookie(COOKIE)
    return response
