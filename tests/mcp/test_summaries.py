"""Session summaries through the SDK client: written mid-session, updated, found by search, used at start."""

from __future__ import annotations

from aidis.app import AppContext
from aidis.mcp.identity import FixedConnection
from aidis.mcp.server import build_mcp_server
from mcp import Client
from tests.mcp.conftest import ClientFactory, call


async def test_a_summary_is_searchable_counted_once_and_starts_the_next_session(
    app: AppContext, connect: ClientFactory
) -> None:
    app.projects.create("billing")
    async with connect("a") as client:
        await call(client, "project_switch", {"project": "billing"})
        await call(
            client, "session_summary", {"goal": "fix invoices", "accomplished": "found the rounding bug"}
        )
        updated = await call(
            client,
            "session_summary",
            {"accomplished": "fixed the rounding bug", "next_steps": "add a regression test"},
        )
        found = await call(client, "context_search", {"query": "rounding"})
        full = await call(client, "context_get", {"ids": [i["id"] for i in found["items"]]})
        ended = await call(client, "session_end", {"summary": {"next_steps": "release 2.1 after the test"}})
    assert updated["session"]["contexts"] == 1  # updated in place, not a second context
    assert [i["context"]["content"] for i in full["items"]] == [
        f"Session summary {updated['session']['display_id']}: accomplished: fixed the rounding bug; "
        "next steps: add a regression test"
    ]
    assert ended["session"]["status"] == "ended"
    async with connect("b") as client:
        await call(client, "project_switch", {"project": "billing"})
        await call(client, "context_store", {"content": "new session starts"})
        context = await call(client, "session_context")
    text = context["context"]
    assert "billing" in text and ended["session"]["display_id"] in text
    assert "release 2.1 after the test" in text
    assert app.integrity.check().clean


async def test_session_context_of_an_unassigned_session_is_empty(app: AppContext) -> None:
    app.projects.create("secret-project")
    server = build_mcp_server(app, FixedConnection("memory:u", "memory", "t", ()))
    async with Client(server) as client:
        await call(client, "context_store", {"content": "unfiled note"})
        context = await call(client, "session_context")
    assert context["context"] == ""  # Unassigned holds every project's leftovers: nothing is handed out
