"""Team-mode refusals through the MCP tools (official SDK client, in memory), as an attacker would try
them: a read-only token writes nothing anywhere (its own Unassigned included); a token limited to
projects acts nowhere else; a name, folder or remote held by a project one may not read is "not
available", never named or confirmed; look-alike names are refused; session starts and ends, timelines
and refusals are on the audit trail."""

from __future__ import annotations

import unicodedata
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from aidis.app import AppContext
from aidis.db.schema import audit_log, projects
from aidis.enums import Surface
from aidis.mcp.identity import FixedConnection
from aidis.mcp.server import build_mcp_server
from aidis.services.caller import Caller
from aidis.services.principal import Principal
from aidis.services.projects.probe import normalize_remote
from mcp import Client
from tests.support import row_counts

SEED = Caller(connection_id="seed")


def repo_or_none(value: str) -> str | None:
    """A remote as AIDIS normalizes it (what it echoes of a given remote), else None."""
    return normalize_remote(value) if "/" in value else None


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, Path]:
    made = {name: tmp_path / name for name in ("alpha", "beta", "mine")}
    for folder in made.values():
        folder.mkdir()
    return made


@pytest.fixture
def people(app: AppContext, folders: dict[str, Path]) -> dict[str, Principal]:
    """alice writes alpha (its folder and remote are set); bob writes beta; bob-read is bob's read-only
    token, bob-beta his token limited to beta."""
    app.projects.create("alpha", roots=[str(folders["alpha"])], repos=["github.com/acme/alpha-app"])
    app.projects.create("beta", roots=[str(folders["beta"])])
    app.contexts.store(SEED, "alpha ships behind the purple feature flag", project="alpha")
    for person in ("alice", "bob"):
        app.team.add_user(person)
    app.team.add_user("root", admin=True)
    app.team.grant("alpha", "write", user="alice")
    app.team.grant("beta", "write", user="bob")
    tokens = {
        "alice": app.team.create_token("alice")[1],
        "bob": app.team.create_token("bob")[1],
        "bob-read": app.team.create_token("bob", role="read")[1],
        "bob-beta": app.team.create_token("bob", projects=["beta"])[1],
        "root": app.team.create_token("root")[1],
    }
    return {name: app.team.authenticate(token, surface=Surface.MCP) for name, token in tokens.items()}


async def _call(
    app: AppContext, who: Principal, tool: str, args: dict[str, Any], workspace: Path | None = None
) -> tuple[bool, str, dict[str, Any] | None]:
    from aidis.enums import WorkspaceSource
    from aidis.services.caller import WorkspaceHint

    hints = (WorkspaceHint(str(workspace), WorkspaceSource.ROOTS),) if workspace else ()
    connection = FixedConnection(
        f"u:{who.user_id}/{uuid.uuid4().hex[:8]}", "memory", "test-agent", hints, principal=who
    )
    async with Client(build_mcp_server(app, connection, tools="all")) as client:
        result = await client.call_tool(tool, args)
    text = " ".join(getattr(part, "text", "") for part in result.content)
    return result.is_error, text, result.structured_content


async def test_a_read_only_token_writes_nothing_not_even_in_unassigned(
    app: AppContext, people: dict[str, Principal], folders: dict[str, Path]
) -> None:
    for tool, args, workspace in [
        ("context_store", {"content": "a note nobody may keep"}, None),
        ("context_store", {"content": "a note for beta", "project": "beta"}, None),
        ("context_store", {"content": "a note from beta's folder"}, folders["beta"]),
        ("session_new", {}, None),
        ("session_new", {"project": "beta"}, None),
        ("project_create", {"name": "brand-new"}, None),
    ]:
        before = row_counts(app.engine)
        failed, text, _ = await _call(app, people["bob-read"], tool, args, workspace)
        assert failed, (tool, args, text)
        assert "read" in text and ("token" in text or "role" in text), text
        after = row_counts(app.engine)
        assert {t: after[t] for t in after if t != "audit_log"} == {
            t: before[t] for t in before if t != "audit_log"
        }, tool
    failed, text, _ = await _call(
        app, people["bob-read"], "context_search", {"query": "anything", "project": "beta"}
    )
    assert not failed, text  # reading is what it is for


async def test_a_token_limited_to_projects_acts_nowhere_else(
    app: AppContext, people: dict[str, Principal], folders: dict[str, Path]
) -> None:
    failed, text, stored = await _call(
        app, people["bob-beta"], "context_store", {"content": "beta note"}, folders["beta"]
    )
    assert not failed, text
    assert stored is not None and stored["session"]["project_name"] == "beta"
    before = row_counts(app.engine)
    for args, workspace in [
        ({"content": "unassigned note"}, folders["mine"]),
        ({"content": "no folder"}, None),
    ]:
        failed, text, _ = await _call(app, people["bob-beta"], "context_store", args, workspace)
        assert failed and "Unassigned" in text and "projects it names" in text, text
    failed, text, _ = await _call(app, people["bob-beta"], "project_create", {"name": "side-project"})
    assert failed and "token" in text, text
    after = row_counts(app.engine)
    assert {t: after[t] for t in after if t != "audit_log"} == {
        t: before[t] for t in before if t != "audit_log"
    }


@pytest.mark.parametrize(
    "args",
    [
        {"name": "alpha"},
        {"name": "ALPHA"},
        {"name": " alpha"},
        {"name": "\u0430lpha"},  # Cyrillic a
        {"name": "\uff41\uff4c\uff50\uff48\uff41"},  # full-width
        {"name": "a1pha"},
        {"name": "fresh", "roots": ["{alpha}"]},
        {"name": "fresh", "repos": ["git@github.com:acme/alpha-app.git"]},
    ],
)
async def test_what_a_hidden_project_holds_is_not_available_and_never_named(
    app: AppContext, people: dict[str, Principal], folders: dict[str, Path], args: dict[str, Any]
) -> None:
    args = {k: ([str(folders["alpha"])] if v == ["{alpha}"] else v) for k, v in args.items()}
    before = row_counts(app.engine)
    failed, text, _ = await _call(app, people["bob"], "project_create", args)
    assert failed, text
    told = text
    for given in args.values():  # what bob typed may be echoed back; nothing else of alpha may appear
        for value in given if isinstance(given, list) else [given]:
            for form in (value.strip(), unicodedata.normalize("NFKC", value).strip(), repo_or_none(value)):
                told = told.replace(form, "<given>") if form else told
    assert "not available" in told and "alpha" not in told.lower(), told
    assert "already" not in told and "belongs" not in told, told
    after = row_counts(app.engine)
    assert {t: after[t] for t in after if t != "audit_log"} == {
        t: before[t] for t in before if t != "audit_log"
    }
    failed, text, _ = await _call(app, people["alice"], "project_create", args)
    assert failed and "alpha" in text, text  # alice may read alpha: she is told which project


@pytest.mark.parametrize(
    "name", ["alpha\u200b", "al\u202epha", "\u2066alpha", "gam\u00adma", "line\u2028break"]
)
async def test_invisible_and_bidirectional_characters_are_refused_in_names(
    app: AppContext, people: dict[str, Principal], name: str
) -> None:
    failed, text, _ = await _call(app, people["root"], "project_create", {"name": name})
    assert failed and "invisible" in text and "name" in text, text
    with app.engine.connect() as conn:
        names = set(conn.execute(select(projects.c.name)).scalars())
    assert names == {"__unassigned__", "alpha", "beta"}


async def test_a_look_alike_of_a_readable_project_is_refused_naming_it(
    app: AppContext, people: dict[str, Principal]
) -> None:
    failed, text, _ = await _call(app, people["root"], "project_create", {"name": "\u0430lpha"})
    assert failed and "looks like" in text and "'alpha'" in text, text
    failed, text, made = await _call(
        app, people["root"], "project_create", {"name": "\uff44\uff45\uff4c\uff54\uff41"}
    )
    assert not failed and made is not None and made["project"]["name"] == "delta", text  # stored as NFKC


def test_a_look_alike_person_name_is_refused(app: AppContext) -> None:
    from aidis.errors import Conflict

    app.team.add_user("bobl")
    for name in ("bob1", "BOBL", "bobI"):
        with pytest.raises(Conflict) as refused:
            app.team.add_user(name)
        assert refused.value.field == "name" and "looks like" in refused.value.message
    assert [u.name for u in app.team.users()] == ["bobl"]


async def test_session_starts_ends_timelines_and_refusals_are_audited(
    app: AppContext, people: dict[str, Principal]
) -> None:
    alice = people["alice"]
    connection = FixedConnection(f"u:{alice.user_id}/audited", "memory", "test-agent", principal=alice)
    async with Client(build_mcp_server(app, connection, tools="all")) as client:
        started = (await client.call_tool("session_new", {"project": "alpha"})).structured_content
        stored = (
            await client.call_tool("context_store", {"content": "alpha canary is 5 %", "project": "alpha"})
        ).structured_content
        assert started is not None and stored is not None
        await client.call_tool("context_timeline", {"id": stored["context"]["id"]})
        await client.call_tool("session_end", {})
        await client.call_tool("context_get", {"ids": [str(uuid.uuid4())]})  # an id she may not see
    app.audit.flush()
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(audit_log).where(audit_log.c.user_name == "alice").order_by(audit_log.c.id)
        ).all()
    seen = [(r.kind, r.action) for r in rows]
    session_id = started["session"]["id"]
    assert ("change", "session_new") in seen and ("change", "session_end") in seen, seen
    assert any(r.action == "session_end" and r.target_ids == [session_id] for r in rows)
    assert ("read", "context_timeline") in seen, seen
    assert ("denied", "context_get") in seen, seen
