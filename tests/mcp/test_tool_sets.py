"""What agents are shown (AIDIS_TOOLS=core, the default) and that nothing is lost: every other tool runs
through `aidis_tool` with the same checks and results as by name, and stays callable by name."""

from __future__ import annotations

import json

from aidis.app import AppContext
from aidis.mcp.front import StdioFront, load_answers
from aidis.mcp.schema_export import initialize_request
from aidis.mcp.tools import CORE, all_specs
from tests.mcp.conftest import ClientFactory, call, call_error

MODEL_VISIBLE_BUDGET = 6_000  # bytes of tool definitions an agent sends with every model request


async def test_agents_are_shown_the_session_set_and_every_tool_with_all(connect: ClientFactory) -> None:
    async with connect(tools="core") as core, connect("c2", tools="all") as every:
        shown = {t.name for t in (await core.list_tools()).tools}
        listed_all = {t.name for t in (await every.list_tools()).tools}
    assert shown == CORE
    assert listed_all == {s.name for s in all_specs()} and len(listed_all) == 25


def test_the_listed_definitions_fit_the_budget_in_an_agents_request() -> None:
    """As Claude Code sends them to its model (name with its server prefix, description, input schema);
    benchmarks/agent_cost.py measures the same with the real agent."""
    answers = load_answers()
    assert answers is not None
    core = answers["lists"]["core"]
    tools = core["results"][core["by_version"]["2025-11-25"]["tools/list"]]["tools"]
    shaped = [
        {
            "name": f"mcp__aidis__{t['name']}",
            "description": t["description"],
            "input_schema": t["inputSchema"],
        }
        for t in tools
    ]
    assert len(json.dumps(shaped, separators=(",", ":")).encode()) <= MODEL_VISIBLE_BUDGET


async def test_every_other_tool_runs_through_aidis_tool_as_by_name(
    app: AppContext, connect: ClientFactory
) -> None:
    async with connect(tools="core") as client:
        created = await call(
            client, "aidis_tool", {"tool": "project_create", "arguments": {"name": "billing"}}
        )
        listed = await call(client, "aidis_tool", {"tool": "project_list"})
        by_name = await call(client, "project_list")
        switched = await call(client, "project_switch", {"project": "billing"})
        stored = await call(client, "context_store", {"content": "retries use idempotency keys"})
        updated = await call(
            client,
            "aidis_tool",
            {
                "tool": "context_update",
                "arguments": {"id": stored["context"]["id"], "content": "retries use keys"},
            },
        )
        sessions = await call(client, "aidis_tool", {"tool": "session_list", "arguments": {"limit": 5}})
    assert created["tool"] == "project_create" and created["result"]["project"]["name"] == "billing"
    assert listed["result"] == by_name
    assert switched["project"]["name"] == "billing"
    assert updated["result"]["context"]["revision"] == 2
    assert [s["project_name"] for s in sessions["result"]["items"]] == ["billing"]
    assert app.stats.totals()["projects"] == 1


async def test_aidis_tool_refuses_what_it_cannot_run_naming_the_field(connect: ClientFactory) -> None:
    async with connect(tools="core") as client:
        unknown = await call_error(client, "aidis_tool", {"tool": "rm_rf"})
        itself = await call_error(client, "aidis_tool", {"tool": "aidis_tool"})
        bad = await call_error(client, "aidis_tool", {"tool": "project_create", "arguments": {"nam": "x"}})
        missing = await call_error(client, "aidis_tool", {"tool": "project_create"})
    assert "(field: tool)" in unknown and "project_create" in unknown
    assert "(field: tool)" in itself
    assert "(field: arguments)" in bad and "nam: unknown argument" in bad and "name: required" in bad
    assert "name: required" in missing


def test_the_stdio_front_lists_the_set_it_is_given() -> None:
    for mode, expected in (("core", CORE), ("all", {s.name for s in all_specs()})):
        out: list[bytes] = []
        front = StdioFront(
            lambda _f: None,
            answers=load_answers(),
            read=lambda: b"",
            write=out.append,
            sdk_delay=60,
            tool_set=mode,
        )
        front.handle(json.dumps(initialize_request("2025-06-18")).encode())
        front.handle(b'{"jsonrpc": "2.0", "id": 2, "method": "tools/list"}')
        assert {t["name"] for t in json.loads(out[1])["result"]["tools"]} == expected
