"""Session handles: how an MCP client without a protocol session keeps its own AIDIS session.

Protocol 2026-07-28 removed MCP sessions: two agent windows of one person, on one server, send
requests nobody can tell apart. As the specification advises, state that spans calls travels in a
handle the server mints and the agent passes back as an ordinary tool argument (`session_handle`).

Invariants:
- A handle names one connection (one agent window) and is bound to the person it was issued to: its
  signature covers the user, so another person's handle — or one this install did not sign — is
  refused with the same message, and a handle is inert in anyone else's hands.
- A handle lasts `lifetime` from when it was issued (stated in the tools' descriptions); after that it
  is refused as expired, by name, and nothing runs. `session_status` hands out a renewed one.
- Nothing is stored: the handle carries its connection, issue time and signature, so every worker and
  every restart of one install (same install secret) accepts it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aidis.errors import Expired, InvalidInput
from aidis.services.principal import Principal, connection_prefix

FIELD = "session_handle"
PREFIX = "sh1"
SKEW = timedelta(minutes=5)  # a handle issued "in the future" by a replica whose clock runs ahead
_SHAPE = re.compile(r"^sh1\.([A-Za-z0-9_-]{22})\.([0-9a-f]{1,12})\.([A-Za-z0-9_-]{24})$")
_NOT_OURS = (
    "not a session handle this server issued to you (pass back the session_handle that session_new "
    "or session_status returned, unchanged). Nothing was changed."
)


class SessionHandles:
    """Mints and checks session handles under the install's secret."""

    def __init__(
        self, secret: Callable[[], bytes], clock: Callable[[], datetime], lifetime: timedelta
    ) -> None:
        self._secret_source = secret  # read (or made) on first use: most processes never need it
        self._secret: bytes | None = None
        self._clock = clock
        self.lifetime = lifetime

    def new_connection(self, principal: Principal | None) -> str:
        """A new connection for this person (its handle: `renewed`)."""
        return self._connection(principal, secrets.token_urlsafe(16))

    def renewed(self, connection_id: str, principal: Principal | None) -> str | None:
        """A fresh handle for a connection a handle named (None for any other connection)."""
        prefix = f"{connection_prefix(principal)}handle:"
        if not connection_id.startswith(prefix):
            return None
        return self._sign(principal, connection_id[len(prefix) :], self._clock())

    def connection_for(self, handle: str, principal: Principal | None) -> str:
        """The connection a handle names; InvalidInput/Expired naming `session_handle` otherwise."""
        match = _SHAPE.match(handle.strip())
        if match is None:
            raise InvalidInput(_NOT_OURS, field=FIELD)
        nonce, issued_text, mac = match.groups()
        issued = datetime.fromtimestamp(int(issued_text, 16), tz=UTC)
        if not hmac.compare_digest(mac, self._mac(principal, nonce, issued_text)):
            raise InvalidInput(_NOT_OURS, field=FIELD)
        now = self._clock()
        if issued - SKEW > now:
            raise InvalidInput(_NOT_OURS, field=FIELD)
        if now >= issued + self.lifetime:
            raise Expired(
                f"session_handle expired at {(issued + self.lifetime).isoformat(timespec='seconds')} "
                f"(a handle lasts {_hours(self.lifetime)}; session_status renews it while it is valid). "
                "Call session_new without one for a new session and handle. Nothing was changed.",
                field=FIELD,
            )
        return self._connection(principal, nonce)

    def _connection(self, principal: Principal | None, nonce: str) -> str:
        return f"{connection_prefix(principal)}handle:{nonce}"

    def _sign(self, principal: Principal | None, nonce: str, issued: datetime) -> str:
        issued_text = format(int(issued.timestamp()), "x")
        return f"{PREFIX}.{nonce}.{issued_text}.{self._mac(principal, nonce, issued_text)}"

    def _mac(self, principal: Principal | None, nonce: str, issued_text: str) -> str:
        user = str(principal.user_id) if principal is not None else "-"
        message = f"aidis-session-handle|{user}|{nonce}|{issued_text}".encode()
        if self._secret is None:
            self._secret = self._secret_source()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()[:18]
        return base64.urlsafe_b64encode(digest).decode()


def _hours(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:g} h"
