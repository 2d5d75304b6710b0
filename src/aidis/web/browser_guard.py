"""What a web page in the user's browser can do to a local AIDIS: nothing.

Invariant: no route answers a request whose `Host` is not this server's (DNS rebinding), and no
state change is accepted from a foreign `Origin`/`Referer`, without `application/json` on the JSON
surfaces, or without the per-form token on dashboard forms (CSRF; the token is bound to a server
secret, see form_tokens). These checks run before the
token checks and before any handler, for every route the app has now or gets later, so a new form
or endpoint cannot forget them. See docs/security.md for what they stop and what they do not.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aidis.web.form_tokens import token_for, token_valid
from aidis.web.security import header_map, is_loopback, request_cookie, send_error

CSRF_COOKIE = "aidis_csrf"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
JSON_PREFIXES = ("/api/", "/hooks/")
# Probes from an orchestrator use whatever Host it likes; these answer only a status word.
HOST_EXEMPT = ("/healthz", "/readyz")
MAX_FORM_BYTES = 1_000_000


def split_host(value: str) -> str:
    """The name of a Host header without its port: 'a.b:80' → 'a.b', '[::1]:8765' → '::1'."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value.strip("[]")
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


def host_allowed(host_header: str, allowed: Iterable[str]) -> bool:
    """True when the Host names this server: loopback, or a name in AIDIS_ALLOWED_HOSTS ('*' = any)."""
    allowed_set = {a.strip().lower() for a in allowed}
    if "*" in allowed_set:
        return True
    name = split_host(host_header)
    if not name:
        return False
    return is_loopback(name) or name in allowed_set


def origin_of(url: str) -> str | None:
    """'https://a.b:8/x?y' → 'https://a.b:8'; None for something that is not an absolute http(s) URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


class BrowserGuard:
    """ASGI middleware: Host allow-list, Origin/Referer on state changes, JSON content type, form token."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_hosts: Iterable[str] = (),
        allowed_origins: Iterable[str] = (),
        form_secret: bytes,
    ) -> None:
        self.app = app
        self.form_secret = form_secret
        self.allowed_hosts = [h.strip().lower() for h in allowed_hosts if h.strip()]
        self.allowed_origins = {o.strip().rstrip("/").lower() for o in allowed_origins if o.strip()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse what a foreign page could send; pass everything else on unchanged."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"].upper()
        headers = header_map(scope)
        host = headers.get("host", "")
        if not path.startswith(HOST_EXEMPT) and not host_allowed(host, self.allowed_hosts):
            await send_error(
                send,
                421,
                "host_not_allowed",
                f"Host {host or '(none)'!r} is not this server's; add it to AIDIS_ALLOWED_HOSTS if it is",
                "Host",
            )
            return
        unsafe = method not in SAFE_METHODS
        if (unsafe or path.startswith("/mcp")) and not self._origin_ok(headers, host):
            await send_error(
                send,
                403,
                "forbidden",
                "cross-site request refused: its Origin/Referer is not this server "
                "(set AIDIS_ALLOWED_ORIGINS to allow another origin)",
                "Origin",
            )
            return
        if not unsafe:
            await self._with_form_cookie(scope, receive, send, headers)
            return
        if path.startswith(JSON_PREFIXES):
            if not _is_json(headers.get("content-type", "")):
                await send_error(
                    send,
                    415,
                    "unsupported_media_type",
                    "send the request body as application/json",
                    "Content-Type",
                )
                return
            await self.app(scope, receive, send)
            return
        if path.startswith("/mcp"):
            await self.app(scope, receive, send)
            return
        await self._form_post(scope, receive, send, headers)

    def _origin_ok(self, headers: dict[str, str], host: str) -> bool:
        """Same origin as the Host, or allowed; requests with neither header are not from a browser page."""
        raw = headers.get("origin")
        if raw is None:
            referer = headers.get("referer")
            if referer is None:
                return True
            origin = origin_of(referer)
        else:
            origin = origin_of(raw)  # 'null' (sandboxed frames, file://) is never allowed
        if origin is None:
            return False
        same = {f"http://{host}".lower(), f"https://{host}".lower()}
        return origin in same or origin in self.allowed_origins

    async def _with_form_cookie(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]
    ) -> None:
        """Make the form token available to pages (request.state.csrf_token), issuing a cookie if new."""
        token = request_cookie(headers, CSRF_COOKIE)
        fresh = token is None
        if token is None:
            token = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_token"] = token_for(self.form_secret, token)
        if not fresh:
            await self.app(scope, receive, send)
            return
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        cookie = f"{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}".encode()

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    async def _form_post(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        """A dashboard form: urlencoded, and its csrf_token field this server's token for the cookie."""
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            await send_error(
                send,
                415,
                "unsupported_media_type",
                "dashboard forms are sent as application/x-www-form-urlencoded",
                "Content-Type",
            )
            return
        body, too_big = await _read_body(receive, MAX_FORM_BYTES)
        if too_big:
            await send_error(send, 413, "too_large", "form body too large", "body")
            return
        cookie = request_cookie(headers, CSRF_COOKIE)
        sent = parse_qs(body.decode("utf-8", "replace")).get(CSRF_FIELD, [""])[0]
        if not token_valid(self.form_secret, cookie, sent):
            await send_error(
                send,
                403,
                "forbidden",
                "missing or wrong form token; reload the page and submit the form again",
                CSRF_FIELD,
            )
            return
        assert cookie is not None
        scope.setdefault("state", {})["csrf_token"] = token_for(self.form_secret, cookie)
        await self.app(scope, _replay(body, receive), send)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
