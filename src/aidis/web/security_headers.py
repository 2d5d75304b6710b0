"""Headers that keep the dashboard out of other pages' frames and the browser from guessing.

Invariant: every response — page, JSON, error, static file, MCP — carries a Content-Security-Policy
that forbids framing (`frame-ancestors 'none'`, and `X-Frame-Options: DENY` for older browsers),
inline scripts and styles, plugins and foreign form targets; `X-Content-Type-Options: nosniff`; and
`Referrer-Policy: same-origin`. Why: a page on another loopback port could frame a context page and
trick two clicks into a delete (clickjacking); the dashboard needs nothing but its own files.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
NAMES = {name for name, _ in HEADERS}


class SecurityHeaders:
    """ASGI middleware adding HEADERS to every HTTP response (replacing any a handler set)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in NAMES]
                message = {**message, "headers": [*kept, *HEADERS]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
