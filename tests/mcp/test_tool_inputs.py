"""Every tool, driven through the SDK client with valid input and with invalid input.

Invalid input must give an error naming the field, and must write nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from aidis.app import AppContext
from tests.mcp.conftest import ClientFactory, call, call_error
from tests.support import Database, row_counts

VALID: list[tuple[str, dict[str, Any], str]] = [
    # (tool, arguments, a key the structured result must have)
    ("aidis_ping", {"message": "hi"}, "pong"),
    ("aidis_status", {}, "database_engine"),
    ("aidis_help", {}, "categories"),
    ("project_create", {"name": "beta", "description": "second"}, "project"),
    ("project_update", {"project": "beta", "repos": ["github.com/acme/beta"]}, "workspaces"),
    ("project_list", {"include_archived": True}, "projects"),
    ("project_switch", {"project": "alpha"}, "project"),
    ("project_current", {}, "project"),
    ("project_info", {"project": "alpha"}, "stats"),
    ("session_new", {"title": "t", "goal": "g", "project": "alpha", "tags": ["x"]}, "session"),
    ("session_assign", {"project": "beta"}, "session"),
    ("session_status", {}, "session"),
    ("context_store", {"content": "chose FTS5 for search", "type": "decision", "tags": ["db"]}, "context"),
    ("context_search", {"query": "fts5", "tags": ["db"], "types": ["decision"]}, "items"),
    ("context_recent", {"limit": 5}, "items"),
    ("session_list", {"project": "beta", "status": "active", "limit": 5}, "items"),
    ("session_summary", {"accomplished": "wired the hooks", "files": ["a.py"]}, "session"),
    ("session_context", {}, "context"),
    ("session_end", {"summary": {"next_steps": "ship it"}}, "session"),
]

INVALID: list[tuple[str, dict[str, Any], str]] = [
    # (tool, arguments, text the error must contain: the field's name)
    ("aidis_ping", {"message": "x" * 201}, "message"),
    ("aidis_status", {"verbose": True}, "verbose: unknown argument"),
    ("aidis_help", {"topic": "x"}, "topic: unknown argument"),
    ("project_create", {"name": ""}, "name"),
    ("project_update", {"project": "alpha", "roots": ["relative/dir"]}, "roots[0]"),
    ("project_update", {"project": "alpha", "repos": ["x" * 5000]}, "repos.0"),
    ("project_update", {"project": "alpha", "surprise": 1}, "surprise: unknown argument"),
    ("session_new", {"workspace": "not/absolute"}, "field: workspace"),
    ("session_summary", {}, "field: summary"),
    ("session_context", {"project": "x"}, "project: unknown argument"),
    ("session_summary", {"goal": "g" * 501}, "goal"),
    ("session_end", {"summary": {"nope": 1}}, "summary.nope: unknown argument"),
    ("project_create", {"name": "alpha"}, "field: name"),
    ("project_create", {"name": "Unassigned"}, "field: name"),
    ("project_list", {"include_archived": "maybe"}, "include_archived"),
    ("project_switch", {"project": "alpah"}, "did you mean: alpha"),
    ("project_switch", {}, "project: required"),
    ("project_current", {"x": 1}, "x: unknown argument"),
    ("project_info", {"project": "x" * 201}, "project"),
    ("session_new", {"title": "x" * 501}, "title"),
    ("session_new", {"project": "missing"}, "field: project"),
    ("session_new", {"tags": [""]}, "tags.0"),
    ("session_assign", {"project": "alpah"}, "did you mean: alpha"),
    ("session_status", {"session_id": "x"}, "session_id: unknown argument"),
    ("session_end", {}, "no open session"),
    ("session_list", {"limit": 0}, "limit"),
    ("session_list", {"status": "zombie"}, "status"),
    ("session_list", {"since": "yesterday"}, "since"),
    ("context_store", {"content": "x", "type": "nope"}, "type"),
    ("context_store", {"content": ""}, "content"),
    ("context_store", {"content": "x", "project": "nowhere"}, "field: project"),
    ("context_store", {"content": "x", "tags": ["t"] * 21}, "tags"),
    ("context_search", {"query": "!!!"}, "field: query"),
    ("context_search", {"query": "a", "limit": 101}, "limit"),
    ("context_search", {"query": "a", "project": "alpha", "all_projects": True}, "field: all_projects"),
    ("context_recent", {"offset": -1}, "offset"),
]


async def test_every_tool_accepts_valid_input(app: AppContext, connect: ClientFactory) -> None:
    app.projects.create("alpha")
    async with connect() as client:
        for tool, args, key in VALID:
            result = await call(client, tool, args)
            assert key in result, (tool, result)
    assert {tool for tool, _, _ in VALID} == {t for t, _, _ in INVALID}


@pytest.mark.parametrize(
    ("tool", "args", "expected"), INVALID, ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(INVALID)]
)
async def test_invalid_input_names_the_field_and_changes_nothing(
    app: AppContext, db: Database, connect: ClientFactory, tool: str, args: dict[str, Any], expected: str
) -> None:
    app.projects.create("alpha")
    before = row_counts(db.engine)
    async with connect() as client:
        message = await call_error(client, tool, args)
    assert expected in message
    assert "Traceback" not in message
    assert row_counts(db.engine) == before
