"""AIDIS as a user installs it with pipx or `uv tool`: a wheel built from this tree, installed into a
fresh virtual environment in a temporary folder (outside the repository, with its own HOME), works —
`aidis setup claude-code --dry-run`, `aidis mcp` listing its tools over stdio, and `aidis serve`
answering its health check. A file the package forgot to ship (templates, migrations, static files, a
runtime dependency only the test tools brought) fails here."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mcp.client.stdio import StdioServerParameters

from mcp import Client
from tests.mcp.transports import free_port, wait_until
from tests.support import shared_cache_dir

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """The `aidis` of a fresh environment that has only the wheel and what it depends on."""
    root = tmp_path_factory.mktemp("wheel")
    dist, venv, home = root / "dist", root / "venv", root / "home"
    home.mkdir()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(ROOT)],
        check=True,
        cwd=root,
    )
    (wheel,) = dist.glob("aidis-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)], check=True, cwd=root)
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(home),
        "AIDIS_CACHE_DIR": shared_cache_dir(),
        "AIDIS_DATA_DIR": str(root / "data"),
        "AIDIS_LOG_LEVEL": "WARNING",
    }
    yield venv / "bin" / "aidis", env


def test_the_wheel_has_no_test_tools_and_runs_outside_the_repository(
    installed: tuple[Path, dict[str, str]],
) -> None:
    aidis, env = installed
    python = aidis.parent / "python"
    missing = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.util as u; print([m for m in ('pytest', 'playwright', 'mypy') if u.find_spec(m)])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert missing.stdout.strip() == "[]"  # only what the server runs on
    version = subprocess.run(
        [str(aidis), "--version"], capture_output=True, text=True, env=env, cwd=env["HOME"]
    )
    assert version.returncode == 0 and version.stdout.startswith("aidis ")
    setup = subprocess.run(
        [str(aidis), "setup", "claude-code", "--dry-run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=env["HOME"],
    )
    assert setup.returncode == 0, setup.stderr
    assert "aidis" in setup.stdout and "mcp" in setup.stdout
    assert not (Path(env["HOME"]) / ".claude.json").exists()  # a dry run writes nothing


async def test_the_installed_aidis_mcp_lists_its_tools_over_stdio(
    installed: tuple[Path, dict[str, str]],
) -> None:
    aidis, env = installed
    params = StdioServerParameters(command=str(aidis), args=["mcp"], env=env, cwd=env["HOME"])
    async with Client(params) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert {"context_store", "context_search", "session_status"} <= names


def test_the_installed_aidis_serve_answers_its_health_check(installed: tuple[Path, dict[str, str]]) -> None:
    aidis, env = installed
    port = free_port()
    server = subprocess.Popen(
        [str(aidis), "serve", "--port", str(port)],
        env=env,
        cwd=env["HOME"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:

        def healthy() -> bool:
            assert server.poll() is None, server.communicate()[1].decode()
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, timeout=60, what="aidis serve from the wheel")
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code == 200 and "/static/aidis.css" in page.text
        assert httpx.get(f"http://127.0.0.1:{port}/static/aidis.css", timeout=5).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert os.path.isdir(env["AIDIS_DATA_DIR"])


def test_make_serve_installs_the_runtime_only_and_make_test_adds_the_test_tools() -> None:
    makefile = (ROOT / "Makefile").read_text()
    rules = {}
    for block in makefile.split("\n\n"):
        for line in block.splitlines():
            if ":" in line and not line.startswith(("\t", "#", " ")) and "=" not in line.split(":")[0]:
                target, _, deps = line.partition(":")
                recipe = [r.strip() for r in block.splitlines() if r.startswith("\t")]
                rules[target.strip()] = (deps.split("##")[0].split(), recipe)
                break
    assert rules["serve"][0] == ["install"] and rules["mcp"][0] == ["install"]
    runtime = " ".join(rules["$(STAMP)"][1])
    assert "pip install --quiet -e ." in runtime and "[dev]" not in runtime
    assert "[dev]" in " ".join(rules["$(DEV_STAMP)"][1])
    assert "dev" in rules["pytest"][0] and "dev" in rules["lint"][0] and "dev" in rules["typecheck"][0]
