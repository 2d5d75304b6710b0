"""Sessions land in the right project by themselves, through the SDK client: in memory, over a real
stdio subprocess started inside a repository, and over HTTP with X-AIDIS-Workspace."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import httpx2
from mcp.client.streamable_http import streamable_http_client
from mcp_types import ListRootsResult, Root, RootsListChangedNotification

from aidis.app import AppContext
from aidis.enums import WorkspaceSource
from aidis.mcp.identity import FixedConnection
from aidis.mcp.server import build_mcp_server
from aidis.services.caller import WorkspaceHint
from mcp import Client
from tests.gitrepos import make_repo, require_git
from tests.mcp.conftest import call, call_error
from tests.mcp.transports import running_http_server, stdio_params
from tests.support import Database, row_counts


def _in_memory(app: AppContext, name: str, workspace: Path | None = None) -> Client:
    hints = (WorkspaceHint(str(workspace), WorkspaceSource.CWD),) if workspace else ()
    return Client(build_mcp_server(app, FixedConnection(f"memory:{name}", "memory", "test-agent", hints)))


async def test_the_first_status_names_the_project_and_work_lands_in_it(app: AppContext, home: Path) -> None:
    repo = make_repo(home / "widgets", "git@github.com:acme/widgets.git")
    (repo / "src").mkdir()
    async with _in_memory(app, "a", repo / "src") as client:
        first = await call(client, "session_status")
        assert first["session"] is None
        assert "acme/widgets" in first["message"]
        stored = await call(client, "context_store", {"content": "found the bug"})
        status = await call(client, "session_status")
    assert stored["session"]["project_name"] == "acme/widgets"
    assert status["session"]["project_source"] == "workspace"


async def test_session_new_workspace_argument_and_its_errors(
    app: AppContext, home: Path, db: Database
) -> None:
    repo = make_repo(home / "gadgets")
    async with _in_memory(app, "b") as client:
        started = await call(client, "session_new", {"workspace": str(repo), "title": "t"})
        assert started["session"]["project_name"] == "gadgets"
        before = row_counts(db.engine)
        relative = await call_error(client, "session_new", {"workspace": "gadgets"})
        missing = await call_error(client, "session_new", {"workspace": str(home / "nope")})
        too_long = await call_error(client, "session_new", {"workspace": "/" + "x" * 5000})
    assert row_counts(db.engine) == before
    assert "absolute path" in relative and "(field: workspace)" in relative
    assert "does not exist" in missing
    assert "workspace" in too_long and "4096" in too_long


async def test_project_tools_take_roots_and_repos(app: AppContext, home: Path, db: Database) -> None:
    folder = home / "monorepo-service"
    folder.mkdir()
    async with _in_memory(app, "c") as client:
        created = await call(client, "project_create", {"name": "svc", "roots": [str(folder)]})
        updated = await call(client, "project_update", {"project": "svc", "repos": ["github.com/acme/svc"]})
        before = row_counts(db.engine)
        clash = await call_error(client, "project_create", {"name": "other", "roots": [str(folder)]})
        bad = await call_error(client, "project_update", {"project": "svc", "roots": ["relative/dir"]})
        assert row_counts(db.engine) == before
    async with _in_memory(app, "d", folder) as agent:
        stored = await call(agent, "context_store", {"content": "inside the service"})
    assert created["project"]["name"] == "svc"
    assert {w["identity"] for w in updated["workspaces"]} == {str(folder), "github.com/acme/svc"}
    assert "already belongs to project 'svc'" in clash and "roots[0]" in clash
    assert "roots[0]" in bad and "absolute" in bad
    assert stored["session"]["project_name"] == "svc"


async def test_a_stdio_server_started_inside_a_repository_files_its_session_there(
    db: Database, tmp_path: Path
) -> None:
    require_git()
    repo = make_repo(tmp_path / "work" / "billing", "https://github.com/acme/billing.git")
    (repo / "lib").mkdir()
    async with Client(stdio_params(db.url, cwd=str(repo / "lib"), HOME=str(tmp_path))) as client:
        first = await call(client, "session_status")
        stored = await call(client, "context_store", {"content": "stdio in a repository"})
    assert "acme/billing" in first["message"]
    assert stored["session"]["project_name"] == "acme/billing"


async def test_a_stdio_server_started_in_home_stays_unassigned(db: Database, tmp_path: Path) -> None:
    require_git()
    make_repo(tmp_path / "one")
    make_repo(tmp_path / "two")
    async with Client(stdio_params(db.url, cwd=str(tmp_path), HOME=str(tmp_path))) as client:
        stored = await call(client, "context_store", {"content": "from home"})
        status = await call(client, "session_status")
    assert stored["session"]["project_name"] == "Unassigned"
    assert "session_assign" in status["message"]


async def test_http_clients_report_their_workspace_in_a_header(app: AppContext, home: Path) -> None:
    repo = make_repo(home / "api-server")
    headers = {"X-AIDIS-Connection": "ws-agent", "X-AIDIS-Workspace": str(repo)}
    with running_http_server(app) as url:
        transport = streamable_http_client(f"{url}/mcp", http_client=httpx2.AsyncClient(headers=headers))
        async with Client(transport) as client:  # type: ignore[arg-type]
            stored = await call(client, "context_store", {"content": "over http"})
    assert stored["session"]["project_name"] == "api-server"
    change = app.sessions.detail(stored["session"]["id"]).changes[0]
    assert change.details["source"] == "header" and change.details["path"] == str(repo)


def _roots_client(app: AppContext, name: str, folders: list[Path]) -> tuple[Client, list[Path]]:
    """A legacy-protocol client that advertises roots and answers roots/list with `folders`."""
    current = list(folders)

    async def list_roots(_context: object) -> ListRootsResult:
        return ListRootsResult(roots=[Root(uri=f"file://{quote(str(p))}") for p in current])

    server = build_mcp_server(app, FixedConnection(f"memory:{name}", "memory", "test-agent"))
    return Client(server, mode="legacy", list_roots_callback=list_roots), current


async def test_the_clients_roots_name_the_project_and_changes_are_followed(
    app: AppContext, home: Path
) -> None:
    first = make_repo(home / "first repo")
    second = make_repo(home / "second")
    client, current = _roots_client(app, "roots", [first])
    async with client:
        stored = await call(client, "context_store", {"content": "in the first"})
        current[:] = [second]
        # what a handshake-era client (Claude Code) sends; the SDK's helper for it is deprecated
        await client.session.send_notification(RootsListChangedNotification())
        renewed = await call(client, "session_new", {})
    assert stored["session"]["project_name"] == "first repo"
    assert renewed["session"]["project_name"] == "second"
    change = app.sessions.detail(renewed["session"]["id"]).changes[0]
    assert change.details["source"] == "roots"


async def test_roots_beat_the_servers_own_cwd(app: AppContext, home: Path) -> None:
    from_roots = make_repo(home / "from-roots")
    from_cwd = make_repo(home / "from-cwd")

    async def list_roots(_context: object) -> ListRootsResult:
        return ListRootsResult(roots=[Root(uri=f"file://{from_roots}")])

    hints = (WorkspaceHint(str(from_cwd), WorkspaceSource.CWD),)
    server = build_mcp_server(app, FixedConnection("memory:both", "memory", "test-agent", hints))
    async with Client(server, mode="legacy", list_roots_callback=list_roots) as client:
        stored = await call(client, "context_store", {"content": "which one?"})
    assert stored["session"]["project_name"] == "from-roots"
