"""The access matrix through the MCP tools (official SDK client, in memory): three people × three projects
× every tool that names a project or a context × their grant → the tool answers, or an error saying
"not found" (no grant) or naming the role they lack (read-only), with nothing changed and nothing of
the project's content in the answer."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from aidis.app import AppContext
from aidis.enums import Role, Surface
from aidis.mcp.identity import FixedConnection
from aidis.mcp.server import build_mcp_server
from aidis.services.caller import Caller
from aidis.services.principal import Principal
from mcp import Client
from tests.services.access.test_access_matrix import GRANTS, set_up_people
from tests.support import row_counts

SECRET = "zebra-{project} launch codes live in the vault"

# tool → (role needed, its arguments for a project and one of its contexts)
TOOLS: dict[str, tuple[Role, Any]] = {
    "context_search": (Role.READ, lambda p, c: {"query": "zebra launch", "project": p}),
    "context_recent": (Role.READ, lambda p, c: {"project": p}),
    "context_get": (Role.READ, lambda p, c: {"ids": [c]}),
    "context_timeline": (Role.READ, lambda p, c: {"id": c}),
    "project_info": (Role.READ, lambda p, c: {"project": p}),
    "session_list": (Role.READ, lambda p, c: {"project": p}),
    "context_store": (Role.WRITE, lambda p, c: {"content": "a new rollout note", "project": p}),
    "context_update": (Role.WRITE, lambda p, c: {"id": c, "content": "rewritten", "project": p}),
    "context_delete": (Role.WRITE, lambda p, c: {"id": c, "project": p}),
    "project_switch": (Role.WRITE, lambda p, c: {"project": p}),
    "session_new": (Role.WRITE, lambda p, c: {"project": p}),
    "project_update": (
        Role.ADMIN,
        lambda p, c: {"project": p, "repos": [f"https://github.com/acme/{p}-{c[:8]}"]},
    ),
}


# tools whose answer carries the asked project's text (search by words, to be exact about matches)
SHOWS_TEXT = {"context_search", "context_recent", "context_get", "context_timeline"}


@pytest.fixture
def people(app: AppContext) -> dict[str, Principal]:
    return set_up_people(app, Surface.MCP)


async def _call(app: AppContext, who: Principal, tool: str, args: dict[str, Any]) -> tuple[bool, str]:
    connection = FixedConnection(
        f"u:{who.user_id}/{uuid.uuid4().hex[:8]}", "memory", "test-agent", principal=who
    )
    async with Client(build_mcp_server(app, connection, tools="all")) as client:
        result = await client.call_tool(tool, args)
    text = " ".join(getattr(part, "text", "") for part in result.content)
    return result.is_error, text


@pytest.mark.parametrize("tool", list(TOOLS))
async def test_every_tool_answers_exactly_what_the_grant_allows(
    app: AppContext, people: dict[str, Principal], tool: str
) -> None:
    needed, arguments = TOOLS[tool]
    for person, held in GRANTS.items():
        for project, role in held.items():
            seed = Caller(connection_id=f"seed-{project}")
            context_id = str(
                app.contexts.store(seed, SECRET.format(project=project), project=project).context.id
            )
            before = row_counts(app.engine)
            failed, text = await _call(app, people[person], tool, arguments(project, context_id))
            if role is not None and role.rank >= needed.rank:
                assert not failed, (person, project, tool, text)
                if tool in SHOWS_TEXT:
                    assert SECRET.format(project=project) in text, (person, project, tool, text)
                for other, held_role in GRANTS[person].items():
                    assert held_role is not None or f"zebra-{other}" not in text, (person, tool, other)
                continue
            assert failed, (person, project, tool, text)
            assert row_counts(app.engine) == before, (
                f"{person}'s refused {tool} in {project} changed something"
            )
            assert "zebra" not in text and "vault" not in text, text
            if role is None:
                assert "no project named" in text or "no context" in text, (person, project, tool, text)
            else:
                assert "not found" not in text and ("may" in text or "write" in text or "admin" in text), text
