"""`aidis bench --quick` runs every step against real servers and reports every figure (no timing asserts)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

# Imported before CliRunner swaps sys.stderr: the SDK's stdio client binds its default error log
# to sys.stderr at import time, and a subprocess needs a real file descriptor there.
import mcp.client.stdio  # noqa: F401
from typer.testing import CliRunner

from aidis.cli.main import cli
from tests.support import ADMIN_URL


def test_quick_bench_reports_every_figure(engine_name: str, tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(
        cli,
        ["bench", "--quick", "--engine", engine_name, "--postgres-admin-url", ADMIN_URL, "--json", str(out)],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    measured = {(r["transport"], r["tool"]) for r in report["latency"]}
    for transport in ("stdio", "http"):
        for tool in (
            "noop (floor)",
            "session_status",
            "session_new",
            "context_store",
            "context_search",
            "context_search broad",
        ):
            assert (transport, tool) in measured
    assert {r["contexts"] for r in report["latency"] if r["tool"] == "context_search"} == {200, 1000}
    assert all(r["p50_ms"] > 0 and r["ratio_to_floor"] for r in report["latency"])
    assert [(t["server"], t["connections"]) for t in report["throughput"]] == [
        ("no-op floor", 1),
        ("aidis serve", 1),
        ("no-op floor", 4),
        ("aidis serve", 4),
    ]
    assert all(t["ratio_to_floor"] > 0 for t in report["throughput"] if t["server"] == "aidis serve")
    assert all(t["errors"] == 0 and t["calls"] > 0 for t in report["throughput"])
    assert report["peak_rss_mb"][f"aidis serve ({engine_name})"] > 10
    assert report["startup_ms"]["no-op server"] > 0 and report["startup_ms"][f"aidis mcp ({engine_name})"] > 0
    assert 1000 < report["tools_list_chars"] < 20_000


def test_scale_bench_backfills_the_clear_nine_tenths_checks_clean_and_times_every_page(
    engine_name: str, tmp_path: Path
) -> None:
    out = tmp_path / "scale.json"
    result = CliRunner().invoke(
        cli,
        [
            "bench",
            "--scale",
            "--sessions",
            "500",
            "--engine",
            engine_name,
            "--postgres-admin-url",
            ADMIN_URL,
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    [row] = json.loads(out.read_text())
    assert (row["engine"], row["sessions"], row["events"]) == (engine_name, 500, 5000)
    assert (row["assigned"], row["kept_unassigned"]) == (450, 50)  # every tenth session's evidence is split
    assert row["check_clean"] is True
    assert row["backfill_s"] > 0 and row["check_s"] > 0
    assert set(row["pages_ms"]) >= {"overview page", "GET /api/v1/sessions", "GET /api/v1/stats"}
    assert all(ms > 0 for ms in row["pages_ms"].values())


def test_scale_bench_reuse_keeps_the_data_set_runs_on_copies_and_forget_drops_it(
    engine_name: str, tmp_path: Path
) -> None:
    from aidis.bench.kept_datasets import forget, template_name

    count = 300 + 10 * secrets.randbelow(50)  # the kept PostgreSQL database is named by size: no clashes
    sessions = str(count)
    name = template_name(count, 10)
    env = {"AIDIS_DATA_DIR": str(tmp_path)}
    base = [
        "bench",
        "--scale",
        "--sessions",
        sessions,
        "--engine",
        engine_name,
        "--postgres-admin-url",
        ADMIN_URL,
    ]
    rows = []
    try:
        for run in range(2):
            out = tmp_path / f"run{run}.json"
            result = CliRunner().invoke(cli, [*base, "--reuse", "--json", str(out)], env=env)
            assert result.exit_code == 0, result.output
            [row] = json.loads(out.read_text())
            rows.append(row)
        # the second run started from the same orphans: the first run's backfill changed only its copy
        assert [(r["assigned"], r["kept_unassigned"], r["check_clean"]) for r in rows] == [
            (count * 9 // 10, count // 10, True)
        ] * 2
        if engine_name == "sqlite":
            assert (tmp_path / "bench" / f"{name}.db").exists()
            assert list((tmp_path / "bench").glob("*.run-*")) == []  # the copies are gone
        forgotten = CliRunner().invoke(cli, [*base, "--forget"], env=env)
        assert forgotten.exit_code == 0 and f"dropped {name}" in forgotten.output
        assert not forget(engine_name, ADMIN_URL, tmp_path / "bench", name)  # nothing left to drop
    finally:
        forget(engine_name, ADMIN_URL, tmp_path / "bench", name)


def test_reuse_without_scale_is_refused() -> None:
    result = CliRunner().invoke(cli, ["bench", "--reuse"])
    assert result.exit_code == 2 and "--scale" in result.output
