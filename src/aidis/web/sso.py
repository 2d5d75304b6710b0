"""Single sign-on on the web: the dashboard's sign-in through the company's OpenID Connect provider
(authorization code with PKCE), and the OAuth protected-resource metadata (RFC 9728) that tells an MCP
client which provider issues tokens for /mcp.

Invariants: the state, nonce and PKCE verifier of a sign-in in flight live only in a signed cookie bound
to this browser (SameSite=Lax so the provider's redirect brings it back, ten minutes), the state is
compared in constant time, the cookie is spent by the callback, and the sign-in cookie that results
names the person and their groups — never a token. Nothing here verifies a token itself: that is the
identity provider service's job.
"""

from __future__ import annotations

import hmac
from typing import Annotated

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.responses import Response

from aidis.app import AppContext
from aidis.enums import Surface
from aidis.errors import AidisError, InvalidInput, NotFound
from aidis.web.form_tokens import form_secret
from aidis.web.login import signed_in
from aidis.web.security import safe_next
from aidis.web.signed_sessions import seal, unseal
from aidis.web.views import render

router = APIRouter(include_in_schema=False)
PENDING_COOKIE = "aidis_sso"
PENDING_SECONDS = 600
PURPOSE = "oidc-sign-in"
METADATA_PATH = "/.well-known/oauth-protected-resource"


def _callback_url(app: AppContext) -> str:
    if not app.settings.public_url:
        raise InvalidInput(
            "single sign-on needs AIDIS_PUBLIC_URL (where the provider sends people back)", field="public_url"
        )
    return f"{app.settings.public_url.rstrip('/')}/login/sso/callback"


def resource_metadata_url(app: AppContext) -> str | None:
    """Where a client reads this server's protected-resource metadata (None without single sign-on)."""
    if app.identity_provider is None or not app.settings.public_url:
        return None
    return f"{app.settings.public_url.rstrip('/')}{METADATA_PATH}"


@router.get(METADATA_PATH)
@router.get(METADATA_PATH + "/mcp")
def protected_resource(request: Request) -> JSONResponse:
    """RFC 9728 metadata for /mcp: the resource, the provider that issues its tokens, how to send them."""
    app: AppContext = request.app.state.aidis
    provider = app.identity_provider
    if provider is None or provider.audience is None:
        raise NotFound("this server takes no identity-provider tokens", field="path")
    return JSONResponse(
        {
            "resource": provider.audience,
            "authorization_servers": [provider.issuer],
            "bearer_methods_supported": ["header"],
            "resource_name": "AIDIS",
        }
    )


@router.get("/login/sso")
async def start_sign_in(
    request: Request, next: Annotated[str | None, Query(max_length=2000)] = None
) -> Response:
    """Send the person to the identity provider, remembering this sign-in in a signed cookie."""
    app: AppContext = request.app.state.aidis
    provider = app.identity_provider
    if provider is None:
        raise NotFound("single sign-on is not configured (AIDIS_OIDC_ISSUER)", field="path")
    try:
        pending = await anyio.to_thread.run_sync(provider.sign_in_request, _callback_url(app))
    except AidisError as exc:
        return render(request, "login.html", status_code=503, next=safe_next(next), error=exc.message)
    response = RedirectResponse(pending.url, 303)
    value = seal(
        form_secret(app.settings),
        PURPOSE,
        {
            "state": pending.state,
            "nonce": pending.nonce,
            "verifier": pending.verifier,
            "next": safe_next(next),
        },
        PENDING_SECONDS,
    )
    response.set_cookie(
        PENDING_COOKIE,
        value,
        max_age=PENDING_SECONDS,
        httponly=True,
        samesite="lax",  # the provider's redirect back is a top-level cross-site navigation
        secure=request.url.scheme == "https",
        path="/login/sso",
    )
    return response


@router.get("/login/sso/callback")
async def finish_sign_in(
    request: Request,
    code: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[str | None, Query(max_length=200)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Check the state, exchange the code, find the AIDIS user, and sign them in."""
    app: AppContext = request.app.state.aidis
    provider = app.identity_provider
    if provider is None:
        raise NotFound("single sign-on is not configured (AIDIS_OIDC_ISSUER)", field="path")
    pending = unseal(form_secret(app.settings), PURPOSE, request.cookies.get(PENDING_COOKIE))
    problem = None
    if error:
        problem = f"The identity provider did not sign you in ({error})."
    elif pending is None:
        problem = "This sign-in expired or was started in another browser; start again."
    elif not state or not hmac.compare_digest(state, pending["state"]):
        problem = "This sign-in does not match the one this browser started (state); start again."
    if problem is not None or pending is None:
        return _refused(request, problem or "", "/")
    address = request.client.host if request.client else None
    try:
        identity = await anyio.to_thread.run_sync(
            lambda: provider.finish_sign_in(
                code or "",
                verifier=pending["verifier"],
                nonce=pending["nonce"],
                redirect_uri=_callback_url(app),
            )
        )
        principal = await anyio.to_thread.run_sync(
            lambda: app.team.principal_for_identity(identity, surface=Surface.WEB, address=address)
        )
    except AidisError as exc:
        return _refused(request, exc.message, pending["next"])
    response = RedirectResponse(safe_next(pending["next"]), 303)
    response.delete_cookie(PENDING_COOKIE, path="/login/sso")
    signed_in(response, request, app, principal.user_id, groups=identity.groups)
    return response


def _refused(request: Request, message: str, next: str) -> Response:
    response = render(request, "login.html", status_code=401, next=safe_next(next), error=message)
    response.delete_cookie(PENDING_COOKIE, path="/login/sso")
    return response
