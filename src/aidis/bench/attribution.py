"""The attribution workload: agents played through real stdio and HTTP MCP clients in a generated tree.

Builds repositories with and without remotes, a subdirectory, two worktrees of one repository, a
second clone of a remote, a home-like folder, a parent of several repositories, a monorepo with a
root registered by hand and a plain scratch folder; then starts an `aidis mcp` per case in that
folder (or an HTTP client with X-AIDIS-Workspace, or a client answering roots/list) and records
where its first session landed. Target: every unambiguous case right, no session in a wrong
project, every ambiguous case Unassigned with its candidates recorded.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx2
from mcp.client.session import ClientRequestContext
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp_types import ErrorData, ListRootsResult, Root

from aidis.bench.runner import _aidis, _free_port, _process, scratch_database
from mcp import Client

UNASSIGNED = "Unassigned"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


@dataclass
class Case:
    """One agent start and where its session should land (None: Unassigned, ambiguous or unknown)."""

    name: str
    transport: str  # stdio | http-header | roots
    folder: Path
    expected: str | None
    ambiguous: bool = False
    reached: str = ""
    candidates: int = 0

    @property
    def right(self) -> bool:
        """Landed where expected (and, when ambiguous, with its candidates recorded)."""
        if self.expected is None:
            return self.reached == UNASSIGNED and (self.candidates > 0 or not self.ambiguous)
        return self.reached == self.expected

    @property
    def misfiled(self) -> bool:
        """Landed in a real project that is not the right one."""
        return self.reached not in (UNASSIGNED, self.expected)


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, check=True, capture_output=True)  # noqa: S603, S607


def _repo(path: Path, remote: str | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    _git(path, "init", "-q", "-b", "main")
    if remote:
        _git(path, "remote", "add", "origin", remote)
    _git(path, "commit", "-q", "--allow-empty", "-m", "init")
    return path.resolve()


def build_tree(base: Path) -> tuple[Path, list[Case]]:
    """The generated folders and the cases to play in them (home is `base/home`)."""
    home = (base / "home").resolve()
    code = home / "code"
    widgets = _repo(code / "widgets", "git@github.com:acme/widgets.git")
    (widgets / "src" / "deep").mkdir(parents=True)
    local = _repo(code / "local-tool")
    gadgets = _repo(code / "gadgets", "https://gitlab.example/team/gadgets.git")
    _git(gadgets, "worktree", "add", "-q", "-b", "feature-a", str(code / "gadgets-feature-a"))
    _git(gadgets, "worktree", "add", "-q", "-b", "feature-b", str(code / "gadgets-feature-b"))
    clone = _repo(home / "elsewhere" / "widgets-clone", "https://github.com/Acme/Widgets")
    mono = _repo(code / "mono", "ssh://git@github.com/acme/mono.git")
    api = mono / "services" / "api"
    api.mkdir(parents=True)
    scratch = home / "scratch"
    scratch.mkdir()
    cases = [
        Case("repo with remote", "stdio", widgets, "acme/widgets"),
        Case("subdirectory", "stdio", widgets / "src" / "deep", "acme/widgets"),
        Case("second clone, other URL", "stdio", clone, "acme/widgets"),
        Case("repo without remote", "stdio", local, "local-tool"),
        Case("worktree a", "stdio", code / "gadgets-feature-a", "team/gadgets"),
        Case("worktree b", "stdio", code / "gadgets-feature-b", "team/gadgets"),
        Case("main worktree", "stdio", gadgets, "team/gadgets"),
        Case("monorepo, root by hand", "stdio", api, "payments-api"),
        Case("monorepo elsewhere", "stdio", mono, "acme/mono"),
        Case("home folder", "stdio", home, None, ambiguous=True),
        Case("parent of repositories", "stdio", code, None, ambiguous=True),
        Case("plain folder", "stdio", scratch, None),
        Case("HTTP header, subdirectory", "http-header", widgets / "src", "acme/widgets"),
        Case("HTTP header, worktree", "http-header", code / "gadgets-feature-b", "team/gadgets"),
        Case("HTTP header, home", "http-header", home, None, ambiguous=True),
        Case("roots client (server in home)", "roots", widgets, "acme/widgets"),
        Case("roots client, parent folder", "roots", code, None, ambiguous=True),
    ]
    return home, cases


async def _session_of(client: Client) -> tuple[str, int]:
    result = await client.call_tool("context_store", {"content": "attribution probe"})
    if result.is_error or result.structured_content is None:
        raise RuntimeError(f"context_store failed: {result.content}")
    session = result.structured_content["session"]
    status = await client.call_tool("session_status", {})
    message = (status.structured_content or {}).get("message", "")
    candidates = message.count("one of:") and len(message.split("one of:", 1)[1].split(","))
    return str(session["project_name"]), int(candidates)


async def play(case: Case, database_url: str, home: Path, http_url: str) -> None:
    """Start the agent of one case and record where its session landed."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "AIDIS_DATABASE_URL": database_url,
        "AIDIS_LOG_LEVEL": "WARNING",
        **GIT_ENV,
    }
    if case.transport == "stdio":
        params = StdioServerParameters(command=_aidis(), args=["mcp"], env=env, cwd=str(case.folder))
        async with Client(params) as client:
            case.reached, case.candidates = await _session_of(client)
        return
    if case.transport == "http-header":
        headers = {"X-AIDIS-Connection": f"bench-{case.name}", "X-AIDIS-Workspace": str(case.folder)}
        transport = streamable_http_client(http_url, http_client=httpx2.AsyncClient(headers=headers))
        async with Client(transport) as client:
            case.reached, case.candidates = await _session_of(client)
        return

    async def list_roots(context: ClientRequestContext) -> ListRootsResult | ErrorData:
        return ListRootsResult(roots=[Root(uri=case.folder.as_uri())])

    params = StdioServerParameters(command=_aidis(), args=["mcp"], env=env, cwd=str(home))
    async with Client(params, mode="legacy", list_roots_callback=list_roots) as client:
        case.reached, case.candidates = await _session_of(client)


@contextmanager
def _server(database_url: str, home: Path) -> Iterator[str]:
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "AIDIS_DATABASE_URL": database_url,
        "AIDIS_LOG_LEVEL": "WARNING",
        **GIT_ENV,
    }
    url = f"http://127.0.0.1:{port}/mcp"
    with _process([_aidis(), "serve", "--port", str(port)], env, url):
        yield url


def _register_monorepo_root(database_url: str, home: Path, api: Path) -> None:
    env = {**os.environ, "AIDIS_DATABASE_URL": database_url, "AIDIS_LOG_LEVEL": "WARNING", "HOME": str(home)}
    subprocess.run(  # noqa: S603 - our own executable
        [_aidis(), "projects", "create", "payments-api", "--root", str(api)],
        env=env,
        check=True,
        capture_output=True,
    )


async def run_attribution(engine: str, postgres_admin_url: str) -> list[Case]:
    """Play every case on a fresh database of `engine`; return the cases with where they landed."""
    with tempfile.TemporaryDirectory() as tmp, scratch_database(engine, postgres_admin_url) as url:
        home, cases = build_tree(Path(tmp))
        _register_monorepo_root(url, home, home / "code" / "mono" / "services" / "api")
        with _server(url, home) as http_url:
            for case in cases:
                await play(case, url, home, http_url)
    return cases


def summary(cases: list[Case]) -> dict[str, Any]:
    """The figures the target is stated in."""
    unambiguous = [c for c in cases if c.expected is not None]
    ambiguous = [c for c in cases if c.ambiguous]
    return {
        "cases": len(cases),
        "unambiguous_right": sum(c.right for c in unambiguous),
        "unambiguous": len(unambiguous),
        "misfiled": sum(c.misfiled for c in cases),
        "ambiguous_unassigned_with_candidates": sum(c.right for c in ambiguous),
        "ambiguous": len(ambiguous),
        "rows": [{**asdict(c), "folder": str(c.folder), "right": c.right} for c in cases],
    }
