"""Whose MCP protocol session an `mcp-session-id` is, on a team server.

Invariant: a protocol session answers only the person who opened it. The SDK's session manager keeps
its sessions in this process; beside them this keeps each one's owner (bounded), learned from the
`mcp-session-id` the SDK answers an initialize with. A request naming someone else's session — a
tool call, a stream, or `DELETE /mcp` that would end it — reaches the SDK with an id no session has, so
it gets the very answer an unknown id gets (404 "Session not found"): another person's session is
indistinguishable from one that never existed, and is left untouched.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict

from starlette.types import Message, Scope, Send

SESSION_HEADER = b"mcp-session-id"
MAX_SESSIONS = 100_000  # beyond it the oldest owners are forgotten (their sessions then answer 404)


class ProtocolSessionOwners:
    """mcp-session-id → the user who opened it."""

    def __init__(self, limit: int = MAX_SESSIONS) -> None:
        self.limit = limit
        self._owners: OrderedDict[str, uuid.UUID] = OrderedDict()
        self._lock = threading.Lock()

    def owner(self, session_id: str) -> uuid.UUID | None:
        """Who opened this protocol session (None: not opened here by a person)."""
        with self._lock:
            return self._owners.get(session_id)

    def bind(self, session_id: str, user_id: uuid.UUID) -> None:
        """Remember that `user_id` opened this protocol session."""
        with self._lock:
            self._owners[session_id] = user_id
            while len(self._owners) > self.limit:
                self._owners.popitem(last=False)

    def guard(self, scope: Scope, send: Send, user_id: uuid.UUID) -> tuple[Scope, Send]:
        """The request as the SDK should see it: another person's session id replaced by one no session
        has; a new session's id, once the SDK answers with it, bound to `user_id`."""
        named = _header(scope, SESSION_HEADER)
        if named is not None:
            owner = self.owner(named)
            if owner is None or owner == user_id:
                return scope, send
            headers = [(k, v) for k, v in scope["headers"] if k.lower() != SESSION_HEADER]
            foreign = f"not-yours-{uuid.uuid4().hex}".encode()
            return {**scope, "headers": [*headers, (SESSION_HEADER, foreign)]}, send

        async def binding(message: Message) -> None:
            if message["type"] == "http.response.start":
                for key, value in message.get("headers", []):
                    if key.lower() == SESSION_HEADER:
                        self.bind(value.decode("latin-1"), user_id)
            await send(message)

        return scope, binding


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None
