"""MCP fixtures: in-process SDK clients, one per simulated connection."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest

from aidis.app import AppContext
from aidis.mcp.identity import FixedConnection
from aidis.mcp.server import build_mcp_server
from mcp import Client

ClientFactory = Callable[..., AbstractAsyncContextManager[Client]]


@pytest.fixture
def connect(app: AppContext) -> ClientFactory:
    """Open an in-memory SDK client as connection `name` (each name is its own MCP connection), listing
    every tool unless `tools="core"` (agents' default, see test_tool_sets)."""

    @asynccontextmanager
    async def _connect(
        name: str = "conn-1", agent_type: str = "test-agent", tools: str = "all"
    ) -> AsyncIterator[Client]:
        server = build_mcp_server(app, FixedConnection(f"memory:{name}", "memory", agent_type), tools=tools)
        async with Client(server) as client:
            yield client

    return _connect


async def call(client: Client, tool: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    """Call a tool that must succeed; return its structured result."""
    result = await client.call_tool(tool, args or {})
    assert not result.is_error, result.content[0].text  # type: ignore[union-attr]
    assert result.structured_content is not None
    return result.structured_content


async def call_error(client: Client, tool: str, args: dict[str, Any] | None = None) -> str:
    """Call a tool that must fail; return its error text."""
    result = await client.call_tool(tool, args or {})
    assert result.is_error, result.structured_content
    return result.content[0].text  # type: ignore[union-attr]
