"""The client's MCP roots as workspace evidence.

A client that advertises the `roots` capability (Claude Code does, answering with its launch
directory; the capability is deprecated from protocol 2026-07-28 on, where the stdio server's working
directory and the X-AIDIS-Workspace header carry the same fact) is asked once per connection with
`roots/list`, sent the way the SDK's own `ListRoots` resolver sends it on a handshake-era connection
(a request related to the tool call; no deprecated helper); a 2026-07-28 connection, which has no
back-channel, is not asked; the answer is kept until the client says `notifications/roots/list_changed`. What is
kept is a hint about the client, refetchable at any time — never session state: the session itself
lives only in the database.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any
from urllib.parse import unquote, urlsplit

import anyio
from mcp.shared.message import ServerMessageMetadata
from mcp_types import ListRootsRequest, ListRootsResult

from aidis.enums import WorkspaceSource
from aidis.services.caller import WorkspaceHint

log = logging.getLogger("aidis.mcp")

ROOTS_TIMEOUT_SECONDS = 2.0
MAX_CONNECTIONS = 1024
MAX_ROOTS = 20


def root_path(uri: str) -> str | None:
    """`file:///home/me/code` → `/home/me/code`; None for anything that is not a local file URI."""
    parts = urlsplit(uri)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = unquote(parts.path)
    return path or None


class RootsCache:
    """The roots each connection's client reported, until it says they changed (bounded, LRU)."""

    def __init__(self) -> None:
        self._known: OrderedDict[str, tuple[WorkspaceHint, ...]] = OrderedDict()

    def forget(self) -> None:
        """The client's roots changed: ask again on the next call."""
        self._known.clear()

    async def hints(self, ctx: Any, connection_id: str) -> tuple[WorkspaceHint, ...]:
        """The client's roots as workspace hints (asked once per connection; empty if not supported)."""
        if connection_id in self._known:
            self._known.move_to_end(connection_id)
            return self._known[connection_id]
        found = await self._ask(ctx)
        self._known[connection_id] = found
        while len(self._known) > MAX_CONNECTIONS:
            self._known.popitem(last=False)
        return found

    async def _ask(self, ctx: Any) -> tuple[WorkspaceHint, ...]:
        try:
            capabilities = ctx.client_capabilities
        except (AttributeError, LookupError, ValueError):
            return ()
        if capabilities is None or capabilities.roots is None or not ctx.session.can_send_request:
            return ()
        try:
            with anyio.fail_after(ROOTS_TIMEOUT_SECONDS):  # as the SDK's own roots resolver asks, mid-call
                result = await ctx.session.send_request(
                    ListRootsRequest(),
                    ListRootsResult,
                    metadata=ServerMessageMetadata(related_request_id=ctx.request_id),
                )
        except Exception as exc:  # noqa: BLE001 - roots are optional evidence; the call goes on without
            log.info("client advertised roots but roots/list failed: %s", exc or type(exc).__name__)
            return ()
        paths = [p for root in result.roots[:MAX_ROOTS] if (p := root_path(str(root.uri)))]
        return tuple(WorkspaceHint(p, WorkspaceSource.ROOTS) for p in paths)
