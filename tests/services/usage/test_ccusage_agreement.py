"""Checked against `ccusage`, the tool users run today: the same generated Claude Code (and Codex) history imported
by AIDIS and read by the pinned ccusage (offline) gives the same tokens per day and model, exactly, and
the same cost within 1 % (both price these models at Anthropic's list rates). On both engines."""

from __future__ import annotations

import json
import os
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

from aidis.app import AppContext
from aidis.enums import UsageShape
from aidis.services.agents.history_files import claude_code_files, codex_files
from tests.agents.agent_installs import agent_binary
from tests.services.usage.histories import write_codex_history, write_history
from tests.support import shared_cache_dir


def _ccusage(config: Path, home: Path) -> dict[str, Any]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "AIDIS_CACHE_DIR": shared_cache_dir(),
        "CLAUDE_CONFIG_DIR": str(config),
        "NO_COLOR": "1",
        "LOG_LEVEL": "0",
    }
    done = subprocess.run(
        [
            agent_binary("ccusage"),
            "claude",
            "daily",
            "--json",
            "--offline",
            "--breakdown",
            "--timezone",
            "UTC",
        ],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[:2000]
    return dict(json.loads(done.stdout))


def test_tokens_per_day_and_model_equal_ccusage_and_cost_within_one_percent(
    app: AppContext, tmp_path: Path
) -> None:
    config = tmp_path / "claude"
    write_history(config)
    report = app.history.run(list(claude_code_files([config])))
    assert report.created == 6 and [why for _, why in report.skipped] == [
        "no dated line: not a transcript of this agent"
    ]
    theirs = _ccusage(config, tmp_path)
    ours = app.usage.report(UsageShape.DAILY, timezone="UTC", breakdown=True)
    mine = {(line.key, model.key): model for line in ours.lines for model in line.breakdown.values()}
    compared = 0
    for day in theirs["daily"]:
        for part in day["modelBreakdowns"]:
            if part["modelName"] == "<synthetic>":
                continue
            ours_part = mine.pop((day["date"], part["modelName"]))
            assert (
                ours_part.tokens["input_tokens"],
                ours_part.tokens["output_tokens"],
                ours_part.tokens["cache_write_tokens"],
                ours_part.tokens["cache_read_tokens"],
            ) == (
                part["inputTokens"],
                part["outputTokens"],
                part["cacheCreationTokens"],
                part["cacheReadTokens"],
            ), (day["date"], part["modelName"])
            assert ours_part.cost_usd is not None
            assert abs(ours_part.cost_usd - Decimal(str(part["cost"]))) <= Decimal(str(part["cost"])) / 100
            compared += 1
    assert mine == {}, f"AIDIS counted days or models ccusage did not: {sorted(mine)}"
    assert compared >= 6 and len(theirs["daily"]) >= 3


def test_a_second_import_adds_nothing(app: AppContext, tmp_path: Path) -> None:
    config = tmp_path / "claude"
    write_history(config)
    files = list(claude_code_files([config]))
    first = app.history.run(files)
    before = app.usage.report(UsageShape.SESSION, timezone="UTC").total.total_tokens
    again = app.history.run(files)
    assert (again.created, again.completed, again.unchanged, again.tokens) == (0, 0, first.created, 0)
    assert app.usage.report(UsageShape.SESSION, timezone="UTC").total.total_tokens == before


def test_codex_tokens_per_day_and_model_equal_ccusage_and_cost_within_one_percent(
    app: AppContext, tmp_path: Path
) -> None:
    home = tmp_path / "codex"
    write_codex_history(home)
    report = app.history.run(list(codex_files([home])))
    assert report.created == 4 and report.skipped == []
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AIDIS_CACHE_DIR": shared_cache_dir(),
        "CODEX_HOME": str(home),
        "NO_COLOR": "1",
    }
    done = subprocess.run(
        [agent_binary("ccusage"), "codex", "daily", "--json", "--offline", "--timezone", "UTC"],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[:2000]
    theirs = json.loads(done.stdout)
    ours = {
        line.key: line for line in app.usage.report(UsageShape.DAILY, timezone="UTC", breakdown=True).lines
    }
    assert sorted(ours) == [day["date"] for day in theirs["daily"]]
    for day in theirs["daily"]:
        line = ours[day["date"]]
        models = {name: part for name, part in line.breakdown.items()}
        assert sorted(models) == sorted(day["models"]), day["date"]
        for name, counted in day["models"].items():
            mine = models[name].tokens
            assert (mine["input_tokens"], mine["cache_read_tokens"], mine["output_tokens"]) == (
                counted["inputTokens"],
                counted["cacheReadTokens"],
                counted["outputTokens"],
            ), (day["date"], name)
        assert line.cost_usd is not None
        assert abs(line.cost_usd - Decimal(str(day["costUSD"]))) <= Decimal(str(day["costUSD"])) / 100, day[
            "date"
        ]
