"""Who may use the HTTP surface: bearer token on /mcp and /api, the same token to log in to the dashboard,
Origin checks on /mcp, and a refusal to listen beyond loopback without a token."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from collections.abc import Iterable
from urllib.parse import parse_qs, quote, urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from aidis.errors import InvalidInput

OPEN_PATHS = ("/healthz", "/readyz", "/metrics", "/login", "/logout", "/static/")
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


def require_token_for_bind(host: str, token: str | None) -> None:
    """Refuse to serve beyond loopback without AIDIS_AUTH_TOKEN."""
    if not is_loopback(host) and not token:
        raise InvalidInput(
            f"refusing to listen on {host} without AIDIS_AUTH_TOKEN: anyone who can reach it could read and "
            "change every project. Set AIDIS_AUTH_TOKEN (clients then send 'Authorization: Bearer <token>'), "
            "or bind 127.0.0.1.",
            field="host",
        )


def cookie_value(token: str) -> str:
    """What the dashboard cookie holds: derived from the token, never the token itself."""
    return hmac.new(token.encode(), b"aidis-dashboard-login", hashlib.sha256).hexdigest()


class AccessMiddleware:
    """Token checks (when a token is configured) and the Origin check on /mcp (always)."""

    def __init__(self, app: ASGIApp, *, token: str | None, allowed_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.token = token
        self.cookie = cookie_value(token) if token else None
        self.allowed_origins = {o.rstrip("/") for o in allowed_origins}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Let the request through, or answer 401/403/redirect without touching the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if path.startswith("/mcp") and not self._origin_ok(headers):
            await _json(
                send, 403, "forbidden", "Origin not allowed for /mcp (set AIDIS_ALLOWED_ORIGINS)", "Origin"
            )
            return
        if self.token is None or path.startswith(OPEN_PATHS):
            await self.app(scope, receive, send)
            return
        if self._bearer_ok(headers):
            await self.app(scope, receive, send)
            return
        if path.startswith(("/api", "/mcp")):
            await _json(
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
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and self.cookie and hmac.compare_digest(value, self.cookie):
                return True
        return False

    def _origin_ok(self, headers: dict[str, str]) -> bool:
        origin = headers.get("origin")
        if not origin:
            return True  # not a browser (MCP clients send no Origin)
        origin = origin.rstrip("/")
        host = headers.get("host", "")
        same_origin = {f"http://{host}", f"https://{host}"}
        return origin in same_origin or origin in self.allowed_origins


def safe_next(raw: str | None) -> str:
    """A post-login destination: a local path only (no open redirect)."""
    if not raw:
        return "/"
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or not raw.startswith("/") or raw.startswith("//"):
        return "/"
    return raw


def parse_form(body: bytes) -> dict[str, str]:
    """A urlencoded form body as a dict (first value of each field)."""
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


async def _json(
    send: Send, status: int, code: str, message: str, field: str, *, bearer: bool = False
) -> None:
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
