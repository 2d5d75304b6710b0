"""Who may use the HTTP surface: bearer token on /mcp, /api, /hooks and /metrics, the same token to log in
to the dashboard, and a refusal to listen beyond loopback without a token.

Invariant: with AIDIS_AUTH_TOKEN set, nothing but the health probes, the login page and static files
answers without the token (or the login cookie derived from it). Browser-borne attacks (Host, Origin,
form tokens) are `browser_guard`'s job and run before this.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from urllib.parse import parse_qs, quote, urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from aidis.errors import InvalidInput

OPEN_PATHS = ("/healthz", "/readyz", "/login", "/logout", "/static/")
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
    """Token checks when a token is configured; /metrics stays open only with AIDIS_METRICS_PUBLIC."""

    def __init__(self, app: ASGIApp, *, token: str | None, metrics_public: bool = False) -> None:
        self.app = app
        self.token = token
        self.cookie = cookie_value(token) if token else None
        self.open_paths = (*OPEN_PATHS, "/metrics") if metrics_public else OPEN_PATHS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Let the request through, or answer 401/403/redirect without touching the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = header_map(scope)
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
        query = scope.get("query_string", b"").decode()
        target = path + (f"?{query}" if query else "")
        await _redirect(send, f"/login?next={quote(target, safe='')}")

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
    send: Send, status: int, code: str, message: str, field: str, *, bearer: bool = False
) -> None:
    """Answer with the API's error envelope without calling the app."""
    body = json.dumps({"error": {"code": code, "message": message, "field": field}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if bearer:
        headers.append((b"www-authenticate", b'Bearer realm="aidis"'))
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
