"""Who may use the HTTP surface: bearer token on /mcp, /api, /hooks and /metrics, the same token to log in
to the dashboard, a person's own token (or sign-in) on a team server, and a refusal to listen beyond
loopback without a token.

Invariants: with AIDIS_AUTH_TOKEN set, nothing but the health probes, the login page and static files
answers without the token (or the login cookie derived from it); on a team server (once it has users)
nothing answers without a credential, and every request then acts for the person it names — the
services and, on PostgreSQL, row-level security see only what that person may. A token is never
accepted from a query string. Browser-borne attacks (Host, Origin, form tokens) are `browser_guard`'s
job and run before this.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, urlsplit

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from aidis.enums import Surface
from aidis.errors import AidisError, InvalidInput, Unauthorized
from aidis.services.access import TeamService
from aidis.services.access.tokens import PREFIX as TOKEN_PREFIX
from aidis.services.principal import Principal, acting_as
from aidis.web.mcp_owners import ProtocolSessionOwners
from aidis.web.rate_limit import FailureLimiter
from aidis.web.signed_sessions import SESSION_COOKIE
from aidis.web.signed_sessions import read as read_sign_in

if TYPE_CHECKING:  # its libraries load only when single sign-on is configured
    from aidis.services.access.identity_provider import IdentityProvider

log = logging.getLogger("aidis.web")
OPEN_PATHS = ("/healthz", "/readyz", "/login", "/logout", "/static/")
WELL_KNOWN = "/.well-known/"  # OAuth protected-resource metadata (public by definition)
BEARER_PATHS = ("/api", "/mcp", "/hooks", "/metrics")
COOKIE = "aidis_auth"
LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost; False for 0.0.0.0, other addresses and names."""
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


WILDCARD_BINDS = {"0.0.0.0", "::", ""}  # noqa: S104 - names them, binds nothing


def require_token_for_bind(host: str, token: str | None, allowed_hosts: list[str] | None = None) -> None:
    """Refuse to serve beyond loopback without AIDIS_AUTH_TOKEN, or on every address without named hosts."""
    if not is_loopback(host) and not token:
        raise InvalidInput(
            f"refusing to listen on {host} without AIDIS_AUTH_TOKEN: anyone who can reach it could read and "
            "change every project. Set AIDIS_AUTH_TOKEN (clients then send 'Authorization: Bearer <token>'), "
            "or bind 127.0.0.1.",
            field="host",
        )
    if host.strip("[]") in WILDCARD_BINDS and allowed_hosts is not None and not allowed_hosts:
        raise InvalidInput(
            f"listening on every address ({host}) needs AIDIS_ALLOWED_HOSTS: the host names clients use "
            "(e.g. aidis.internal,10.0.0.5), or '*' behind a proxy that checks Host itself. Requests "
            "naming any other Host are refused (DNS rebinding).",
            field="allowed_hosts",
        )


def served_hosts(bind_host: str, allowed_hosts: list[str]) -> list[str]:
    """The Host names the server answers to besides loopback: the configured ones and a named bind address."""
    hosts = list(allowed_hosts)
    if bind_host.strip("[]") not in WILDCARD_BINDS and not is_loopback(bind_host):
        hosts.append(bind_host.strip("[]"))
    return hosts


def cookie_value(token: str) -> str:
    """What the dashboard cookie holds: derived from the token, never the token itself."""
    return hmac.new(token.encode(), b"aidis-dashboard-login", hashlib.sha256).hexdigest()


class AccessMiddleware:
    """Who may use the server. Without users: the shared token when one is configured (else anyone on
    loopback). With users (a team server): a personal token (or the dashboard's signed sign-in) on every
    route but the probes and the login page; the request then acts for that person
    (`aidis.services.principal.acting_as`), /metrics only for server admins. The shared token, when set,
    stays the operator's key (acting for nobody in particular, like the command line). Repeated bad
    credentials from one address (or one token id from one address) are answered 429, a valid token
    excepted. A protocol session at /mcp answers only the person who opened it (`mcp_owners`)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str | None,
        metrics_public: bool = False,
        team: TeamService | None = None,
        session_secret: bytes = b"",
        limiter: FailureLimiter | None = None,
        resource_metadata: str | None = None,
        identity: IdentityProvider | None = None,
    ) -> None:
        self.app = app
        self.token = token
        self.cookie = cookie_value(token) if token else None
        self.metrics_public = metrics_public
        self.open_paths = (*OPEN_PATHS, "/metrics") if metrics_public else OPEN_PATHS
        self.team = team
        self.session_secret = session_secret
        self.limiter = limiter or FailureLimiter()
        self.resource_metadata = resource_metadata
        self.identity = identity
        self.mcp_owners = ProtocolSessionOwners()
        self._said_unknown = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Let the request through (acting for its person on a team server), or answer 401/403/429/redirect."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = header_map(scope)
        if path.startswith(self.open_paths) or path.startswith(WELL_KNOWN):  # probes answer a down database
            await self.app(scope, receive, send)
            return
        if not await self._team_mode():
            await self._single_user(scope, receive, send, path, headers)
            return
        if self._bearer_ok(headers) or self._cookie_ok(headers):  # the operator's shared token
            await self.app(scope, receive, send)
            return
        address = _address(scope)
        try:
            principal = await self._principal(scope, headers, path, address)
        except Unauthorized as exc:
            await self._refuse(send, path, exc.message, scope)
            return
        except RateLimited as exc:
            await send_error(send, 429, "rate_limited", str(exc), "Authorization", retry_after=exc.seconds)
            return
        if principal is None:
            await self._refuse(send, path, "a personal token is needed (aidis tokens create)", scope)
            return
        if path.startswith("/metrics") and not self.metrics_public and not principal.is_admin:
            await send_error(send, 403, "forbidden", "/metrics is for server admins", "Authorization")
            return
        scope.setdefault("state", {})["aidis_principal"] = principal
        action = f"{scope.get('method', 'GET')} {path}"[:64]
        if path.startswith("/mcp"):
            scope, send = self.mcp_owners.guard(scope, send, principal.user_id)
        with acting_as(principal, action):
            await self.app(scope, receive, send)

    async def _team_mode(self) -> bool:
        """Whether this is a team server. A database that was never reachable (nothing known yet)
        leaves the single-user rules in force: no data can be served without it anyway."""
        if self.team is None:
            return False
        try:
            return await anyio.to_thread.run_sync(self.team.team_mode)
        except AidisError as exc:
            if not self._said_unknown:  # once: the database's own outage is logged where it happens
                self._said_unknown = True
                log.warning(
                    "team mode unknown until the database answers (%s): single-user rules", exc.message
                )
            return False

    async def _single_user(
        self, scope: Scope, receive: Receive, send: Send, path: str, headers: dict[str, str]
    ) -> None:
        if self.token is None or path.startswith(self.open_paths):
            await self.app(scope, receive, send)
            return
        if self._bearer_ok(headers):
            await self.app(scope, receive, send)
            return
        if path.startswith(BEARER_PATHS):
            await send_error(
                send, 401, "unauthorized", "missing or wrong bearer token", "Authorization", bearer=True
            )
            return
        if self._cookie_ok(headers):
            await self.app(scope, receive, send)
            return
        await _redirect(send, f"/login?next={quote(_target(scope), safe='')}")

    async def _principal(
        self, scope: Scope, headers: dict[str, str], path: str, address: str
    ) -> Principal | None:
        """The person a bearer token or a signed dashboard sign-in names (None: neither was given)."""
        assert self.team is not None
        team = self.team
        surface = _surface(path)
        query = scope.get("query_string", b"").decode("latin-1")
        if "access_token" in query or TOKEN_PREFIX in query:  # refused whatever else came with it
            raise Unauthorized(
                "a token in the query string is refused: send Authorization: Bearer", field="Authorization"
            )
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            text = value.strip()
            public_id = team.public_id_of(text)
            wait = self.limiter.credential_wait(address, public_id)
            try:
                if self.identity is not None and not text.startswith(TOKEN_PREFIX) and text.count(".") == 2:
                    if wait:  # a provider's token costs a signature check: not past the limit
                        raise RateLimited(wait)
                    return await self._from_provider(self.identity, text, surface, address)
                return await anyio.to_thread.run_sync(
                    partial(team.authenticate, text, surface=surface, address=address)
                )  # a valid token passes even past the limit: bad tries by others never lock it out
            except Unauthorized as exc:
                self.limiter.credential_failed(address, public_id, exc.message)
                if wait:
                    raise RateLimited(wait) from exc
                raise
        signed = read_sign_in(self.session_secret, request_cookie(headers, SESSION_COOKIE))
        if signed is None or path.startswith(BEARER_PATHS):
            return None
        return await anyio.to_thread.run_sync(
            partial(
                team.principal_for_sign_in,
                signed.user_id,
                token_public_id=signed.token_public_id,
                groups=signed.groups,
                surface=surface,
                address=address,
            )
        )

    async def _from_provider(
        self, identity: IdentityProvider, text: str, surface: Surface, address: str
    ) -> Principal:
        """The person a bearer JWT from the identity provider names (checked by the provider service)."""
        assert self.team is not None
        team = self.team
        vouched = await anyio.to_thread.run_sync(identity.verify_access_token, text)
        return await anyio.to_thread.run_sync(
            partial(team.principal_for_identity, vouched, surface=surface, address=address)
        )

    async def _refuse(self, send: Send, path: str, message: str, scope: Scope) -> None:
        if path.startswith(BEARER_PATHS):
            await send_error(
                send,
                401,
                "unauthorized",
                message,
                "Authorization",
                bearer=True,
                resource_metadata=self.resource_metadata,
            )
            return
        await _redirect(send, f"/login?next={quote(_target(scope), safe='')}")

    def _bearer_ok(self, headers: dict[str, str]) -> bool:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        return (
            bool(self.token)
            and scheme.lower() == "bearer"
            and hmac.compare_digest(value.strip(), self.token or "")
        )

    def _cookie_ok(self, headers: dict[str, str]) -> bool:
        value = request_cookie(headers, COOKIE)
        return bool(value and self.cookie and hmac.compare_digest(value, self.cookie))


class RateLimited(Exception):
    """Too many bad credentials lately; try again in `seconds`."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {seconds} s")
        self.seconds = seconds


def _surface(path: str) -> Surface:
    if path.startswith("/mcp"):
        return Surface.MCP
    if path.startswith("/api"):
        return Surface.API
    if path.startswith("/hooks"):
        return Surface.HOOKS
    return Surface.WEB


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0])[:64] if client else "unknown"


def _target(scope: Scope) -> str:
    query = scope.get("query_string", b"").decode()
    return str(scope["path"]) + (f"?{query}" if query else "")


def header_map(scope: Scope) -> dict[str, str]:
    """An ASGI request's headers by lower-case name."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def request_cookie(headers: dict[str, str], name: str) -> str | None:
    """The value of one cookie of a request, or None."""
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


def safe_next(raw: str | None, default: str = "/") -> str:
    """A destination to redirect to: a local path only (no open redirect), else `default`."""
    if not raw:
        return default
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or not raw.startswith("/") or raw.startswith("//"):
        return default
    return raw


def parse_form(body: bytes) -> dict[str, str]:
    """A urlencoded form body as a dict (first value of each field)."""
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


async def send_error(
    send: Send,
    status: int,
    code: str,
    message: str,
    field: str,
    *,
    bearer: bool = False,
    resource_metadata: str | None = None,
    retry_after: int | None = None,
) -> None:
    """Answer with the API's error envelope without calling the app."""
    body = json.dumps({"error": {"code": code, "message": message, "field": field}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if bearer:
        challenge = 'Bearer realm="aidis"'
        if resource_metadata:  # RFC 9728: where a client learns which authorization server to ask
            challenge += f', resource_metadata="{resource_metadata}"'
        headers.append((b"www-authenticate", challenge.encode()))
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _redirect(send: Send, location: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [(b"location", location.encode()), (b"content-length", b"0")],
        }
    )
    await send({"type": "http.response.body", "body": b""})
