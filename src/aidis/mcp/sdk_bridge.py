"""The MCP SDK served over the stdio front's lines instead of the process's own stdin and stdout.

Invariant: the SDK reads exactly the lines the front hands it, in order, and everything it writes goes
through the front's single writer (which drops its answer to a request the front already answered).
The SDK's own stdio transport is used unchanged, with these two streams in place of the standard
ones (its documented way to serve other streams).
"""

from __future__ import annotations

from typing import Any, Protocol, cast

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server


class LineSource(Protocol):
    """Where the SDK's input lines come from (the front)."""

    def next_line(self) -> bytes | None:
        """The next line, blocking; None at the end."""
        ...

    def write_line(self, data: bytes) -> None:
        """Write one output line."""
        ...


class _Lines:
    """An async iterator of text lines, as the SDK's stdio transport reads stdin."""

    def __init__(self, source: LineSource) -> None:
        self.source = source

    def __aiter__(self) -> _Lines:
        return self

    async def __anext__(self) -> str:
        line = await anyio.to_thread.run_sync(self.source.next_line, abandon_on_cancel=True)
        if line is None:
            raise StopAsyncIteration
        return line.decode("utf-8")


class _Writer:
    """The write/flush pair the SDK's stdio transport writes responses with."""

    def __init__(self, source: LineSource) -> None:
        self.source = source

    async def write(self, text: str) -> None:
        """One JSON line from the SDK (with its newline)."""
        self.source.write_line(text.encode("utf-8"))

    async def flush(self) -> None:
        """Nothing: every line is written whole at once."""


async def serve_lines(server: MCPServer, source: LineSource) -> None:
    """Run `server` until `source` runs out of lines."""
    lowlevel = server._lowlevel_server  # the SDK's documented stdio loop, over our streams
    streams: Any = (_Lines(source), _Writer(source))
    async with stdio_server(stdin=cast(Any, streams[0]), stdout=cast(Any, streams[1])) as (read, write):
        await lowlevel.run(read, write, lowlevel.create_initialization_options())
