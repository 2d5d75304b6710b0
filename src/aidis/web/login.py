"""Dashboard login: with the server's shared token (AIDIS_AUTH_TOKEN), or on a team server with a
person's own token, which becomes a signed sign-in cookie (the token itself is never stored)."""

from __future__ import annotations

import hmac
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from aidis.app import AppContext
from aidis.enums import Surface
from aidis.errors import Unauthorized
from aidis.services.access.tokens import PREFIX as TOKEN_PREFIX
from aidis.web.form_tokens import form_secret
from aidis.web.rate_limit import FailureLimiter
from aidis.web.security import COOKIE, cookie_value, safe_next
from aidis.web.signed_sessions import LIFETIME, SESSION_COOKIE, issue
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
    """Check the token; on success set the dashboard cookie and go on. On a team server the token is a
    person's own (`aidis tokens create`) and the cookie a signed sign-in; otherwise the shared token."""
    app: AppContext = request.app.state.aidis
    if app.team.team_mode() and token.strip().startswith(TOKEN_PREFIX):
        return _sign_in(request, app, token.strip(), next)
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


def _sign_in(request: Request, app: AppContext, token: str, next: str) -> Response:
    """A person signs in to the dashboard with their own token: a signed cookie names them (never the token)."""
    address = request.client.host if request.client else "unknown"
    limiter: FailureLimiter = request.app.state.sign_in_limiter
    public_id = app.team.public_id_of(token)
    wait = limiter.credential_wait(address, public_id)
    if wait:
        slowed = render(
            request,
            "login.html",
            status_code=429,
            next=safe_next(next),
            error=f"Too many failed sign-ins; try again in {wait} s.",
        )
        slowed.headers["Retry-After"] = str(wait)
        return slowed
    try:
        principal = app.team.authenticate(token, surface=Surface.WEB, address=address)
    except Unauthorized as exc:
        limiter.credential_failed(address, public_id, exc.message)
        return render(request, "login.html", status_code=401, next=safe_next(next), error=exc.message)
    assert principal.token_id is not None
    response = RedirectResponse(safe_next(next), 303)
    signed_in(response, request, app, principal.user_id, token_public_id=public_id)
    return response


def signed_in(
    response: Response,
    request: Request,
    app: AppContext,
    user_id: uuid.UUID,
    *,
    token_public_id: str | None = None,
    groups: tuple[str, ...] = (),
) -> None:
    """Set the signed sign-in cookie on `response`: the person (and their token's id or provider groups),
    never a token."""
    response.set_cookie(
        SESSION_COOKIE,
        issue(form_secret(app.settings), user_id, token_public_id=token_public_id, groups=groups),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=LIFETIME,
    )


@router.post("/logout")
def logout() -> Response:
    """Forget the dashboard cookies."""
    response = RedirectResponse("/login", 303)
    response.delete_cookie(COOKIE)
    response.delete_cookie(SESSION_COOKIE)
    return response
