"""Many AIDIS processes starting at once migrate once; a database newer than the code is never touched."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from aidis.db.engine import build_engine
from aidis.db.migrate import current_revision, head_revision, known_revisions, upgrade
from aidis.repositories import rollups
from tests.mcp.transports import aidis_executable, free_port, wait_until
from tests.support import fresh_database_url, shared_cache_dir

STARTS = 8


def _env(url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AIDIS_CACHE_DIR": shared_cache_dir(),
        "AIDIS_DATABASE_URL": url,
        "AIDIS_LOG_LEVEL": "WARNING",
    }


@pytest.fixture(params=["fresh", "one-behind"])
def database(request: pytest.FixtureRequest, engine_name: str, tmp_path: Path) -> Iterator[str]:
    """An empty database, or one at the revision before head."""
    with fresh_database_url(engine_name, tmp_path) as url:
        if request.param == "one-behind":
            engine = build_engine(url)
            upgrade(engine, known_revisions()[1])
            engine.dispose()
        yield url


# `aidis mcp` opens its database when a tool first needs it: each server is sent a handshake and a call
MCP_CALL = (
    "\n".join(
        json.dumps(line)
        for line in (
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "t", "version": "1"},
                },
            },
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "session_status", "arguments": {}},
            },
        )
    )
    + "\n"
)


def _run_together(args: list[str], env: dict[str, str]) -> list[subprocess.CompletedProcess[str]]:
    procs = [
        subprocess.Popen(
            [aidis_executable(), *args],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(STARTS)
    ]
    done = []
    for proc in procs:
        out, err = proc.communicate(MCP_CALL if args == ["mcp"] else "", timeout=120)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


def _at_head(url: str) -> bool:
    engine = build_engine(url)
    try:
        return current_revision(engine) == head_revision()
    finally:
        engine.dispose()


@pytest.mark.parametrize("args", [["db", "upgrade"], ["mcp"]], ids=["db-upgrade", "mcp"])
def test_concurrent_starts_all_succeed(database: str, tmp_path: Path, args: list[str]) -> None:
    results = _run_together(args, _env(database, tmp_path))
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr, result.stderr
    assert _at_head(database)
    if args == ["db", "upgrade"]:  # exactly one says it did the work; the others that it was done
        said = sorted(result.stdout.split(";")[0].split(" from ")[0] for result in results)
        assert said == ["database already at " + head_revision()] * (STARTS - 1) + ["database upgraded"], said


def test_concurrent_serve_replicas_all_become_ready(database: str, tmp_path: Path) -> None:
    ports = [free_port() for _ in range(STARTS)]
    env = _env(database, tmp_path)
    procs = [
        subprocess.Popen(
            [aidis_executable(), "serve", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for port in ports
    ]
    try:
        for port, proc in zip(ports, procs, strict=True):

            def ready(port: int = port, proc: subprocess.Popen[str] = proc) -> bool:
                assert proc.poll() is None, proc.communicate()[1]
                try:
                    return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
                except httpx.HTTPError:
                    return False

            wait_until(ready, timeout=90, what=f"aidis serve on {port} to be ready")
    finally:
        for proc in procs:
            proc.terminate()
        errors = [proc.communicate(timeout=30)[1] for proc in procs]
    assert not [e for e in errors if "Traceback" in e], errors
    assert _at_head(database)


def test_a_database_newer_than_the_code_is_refused_in_one_line_and_left_alone(
    engine_name: str, tmp_path: Path
) -> None:
    with fresh_database_url(engine_name, tmp_path) as url:
        engine = build_engine(url)
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_a_newer_aidis'"))
        for args in (["mcp"], ["db", "upgrade"], ["serve", "--port", str(free_port())], ["check"]):
            result = subprocess.run(
                [aidis_executable(), *args],
                env=_env(url, tmp_path),
                input=MCP_CALL if args == ["mcp"] else "",
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            assert result.returncode != 0 and len(lines) == 1, result.stderr
            assert "9999_from_a_newer_aidis" in lines[0] and head_revision() in lines[0]
            assert "Upgrade this AIDIS" in lines[0]
        assert current_revision(engine) == "9999_from_a_newer_aidis"
        engine.dispose()


@pytest.mark.parametrize("args", [["db", "upgrade"], ["mcp"]], ids=["db-upgrade", "mcp"])
def test_a_0_1_0_database_with_data_upgrades_under_concurrent_starts(
    engine_name: str, tmp_path: Path, args: list[str]
) -> None:
    """A 0.1.0 install (revision 0003) holding sessions and their history, upgraded by 8 processes at once."""
    with fresh_database_url(engine_name, tmp_path) as url:
        engine = build_engine(url)
        upgrade(engine, "0003")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO projects (id, name, status, created_at, updated_at) "
                    "VALUES ('11111111-1111-1111-1111-111111111111', 'kept', 'active', :t, :t)"
                ),
                {"t": "2026-02-01 00:00:00"},
            )
            for n in range(20):
                conn.execute(
                    text(
                        "INSERT INTO sessions (id, display_id, project_id, status, started_at, last_activity_at, "
                        "ended_at, end_reason) VALUES (:i, :d, '11111111-1111-1111-1111-111111111111', :s, :t, :t, "
                        ":e, :r)"
                    ),
                    {  # every other session closed: 0010 must roll them up
                        "i": f"22222222-2222-2222-2222-{n:012d}",
                        "d": f"SES-2026-{n:05d}",
                        "t": "2026-02-01 00:00:00",
                        "s": "ended" if n % 2 else "active",
                        "e": "2026-02-01 01:00:00" if n % 2 else None,
                        "r": "explicit" if n % 2 else None,
                    },
                )
                conn.execute(
                    text(
                        "INSERT INTO session_project_changes (session_id, from_project_id, to_project_id, "
                        "changed_at, reason, actor, details) VALUES (:i, '00000000-0000-0000-0000-000000000000', "
                        "'11111111-1111-1111-1111-111111111111', :t, 'explicit_assign', 'user', '{}')"
                    ),
                    {"i": f"22222222-2222-2222-2222-{n:012d}", "t": "2026-02-01 00:00:00"},
                )
                conn.execute(
                    text(
                        "INSERT INTO contexts (id, project_id, session_id, context_type, content, tags, created_at, "
                        "metadata) VALUES (:c, '11111111-1111-1111-1111-111111111111', :i, 'note', :body, '[]', "
                        ":t, '{}')"
                    ),
                    {
                        "c": f"33333333-3333-3333-3333-{n:012d}",
                        "i": f"22222222-2222-2222-2222-{n:012d}",
                        "body": f"Database migrations run on startup, note {n}",
                        "t": "2026-02-01 00:00:00",
                    },
                )
        results = _run_together(args, _env(url, tmp_path))
        assert [r.returncode for r in results] == [0] * STARTS, [r.stderr for r in results if r.returncode]
        with engine.connect() as conn:
            sessions = conn.execute(text("SELECT count(*) FROM sessions")).scalar_one()
            changes = conn.execute(text("SELECT count(*) FROM session_project_changes")).scalar_one()
            name = conn.execute(
                text("SELECT name FROM projects WHERE id = '11111111-1111-1111-1111-111111111111'")
            ).scalar_one()
            contexts = conn.execute(
                text(
                    "SELECT count(*) FROM contexts WHERE revision = 1 AND seen_count = 1 AND deleted_at IS NULL"
                )
            ).scalar_one()
            stemmed = (  # 0006 rebuilt SQLite's index with stemming: "migration" finds "migrations"
                "SELECT count(*) FROM contexts_fts WHERE contexts_fts MATCH 'migration'"
                if engine_name == "sqlite"
                else "SELECT count(*) FROM contexts WHERE search_vector @@ plainto_tsquery('english', 'migration')"
            )
            found = conn.execute(text(stemmed)).scalar_one()
            rolled_up = conn.execute(
                text("SELECT sum(sessions), sum(duration_seconds) FROM session_rollups")
            ).one()
            closed = conn.execute(text("SELECT count(*) FROM sessions WHERE status <> 'active'")).scalar_one()
            wrong, _ = rollups.mismatches(conn)
        assert current_revision(engine) == head_revision()
        engine.dispose()
    assert (sessions, changes, name) == (20, 20, "kept")
    assert (contexts, found) == (20, 20)
    # the ten ended at 0.1.0 are rolled up by 0010 (with their hour each); a server start may also time
    # out the ten left open — rolled up by the triggers, at no duration
    assert int(rolled_up[0]) == closed >= 10 and round(float(rolled_up[1])) == 10 * 3600 and wrong == 0
