"""`aidis usage …` and `GET /api/v1/usage` against a real database with the three agents' recorded
sessions, on both engines: the same numbers as the service, a table a person reads (unpriced models
named), JSON for scripts, the user's price file from AIDIS_PRICES_FILE, bad options as one line or a
422 naming the field."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from aidis.app import AppContext
from aidis.cli.main import cli
from tests.agents.recorded import AGENTS, TOKENS, recorded, replay
from tests.support import Database
from tests.web.forms import asgi_client

runner = CliRunner()
PRICES = '[models."claude-opus-4-8"]\ninput = 5\noutput = 25\ncache_write = 6.25\ncache_read = 0.5\n'


def _seed(app: AppContext, tmp_path: Path) -> Path:
    workspace = tmp_path / "work"
    workspace.mkdir()
    for agent in AGENTS:
        replay(app, agent, recorded(agent, workspace, tmp_path), f"cli-{agent}")
    prices = tmp_path / "prices.toml"
    prices.write_text(PRICES)
    return prices


def _usage(db: Database, prices: Path, *args: str) -> tuple[int, str]:
    env = {"AIDIS_DATABASE_URL": db.url, "AIDIS_LOG_LEVEL": "WARNING", "AIDIS_PRICES_FILE": str(prices)}
    result = runner.invoke(cli, ["usage", *args], env=env)
    return result.exit_code, result.output


def test_usage_daily_json_and_table(app: AppContext, db: Database, tmp_path: Path) -> None:
    prices = _seed(app, tmp_path)
    code, out = _usage(db, prices, "daily", "--json", "--timezone", "UTC", "--breakdown")
    assert code == 0, out
    report = json.loads(out)
    assert [item["key"] for item in report["items"]] == ["2026-12-02"]
    assert report["total"]["total_tokens"] == sum(sum(t) for t in TOKENS.values())
    assert {b["key"] for b in report["items"][0]["breakdown"]} == {
        "claude-opus-4-8",
        "gpt-standin",
        "gemini-3.1-pro-preview",
    }
    assert str(prices) in report["price_data"] and report["total"]["unpriced_models"] == ["gpt-standin"]
    code, table = _usage(db, prices, "session", "--timezone", "UTC")
    assert code == 0 and "unpriced" in table and "gpt-standin" in table and "SES-" in table


def test_bad_usage_options_are_one_line(db: Database, tmp_path: Path) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text(PRICES)
    for args, word in (
        (["daily", "--since", "yesterday"], "--since"),
        (["daily", "--timezone", "Nowhere/Town"], "time zone"),
        (["weekly", "--since", "2026-12-05", "--until", "2026-12-01"], "until"),
    ):
        code, out = _usage(db, prices, *args)
        assert code == 2 and word in out and "Traceback" not in out, (args, out)
    broken = tmp_path / "broken.toml"
    broken.write_text('[models."m"]\ninput = -3\n')
    code, out = _usage(db, broken, "daily")
    assert code == 2 and "models.m.input" in out, out


async def test_the_api_answers_the_same_report(app: AppContext, tmp_path: Path) -> None:
    _seed(app, tmp_path)
    async with asgi_client(app) as http:
        found = await http.get("/api/v1/usage", params={"shape": "project", "timezone": "UTC"})
        assert found.status_code == 200, found.text
        body = found.json()
        assert [i["key"] for i in body["items"]] == ["Unassigned"]
        assert body["total"]["total_tokens"] == sum(sum(t) for t in TOKENS.values())
        for params, field in (
            ({"shape": "yearly"}, "shape"),
            ({"timezone": "Nowhere/Town"}, "timezone"),
            ({"since": "soon"}, "since"),
            ({"colour": "blue"}, "colour"),
        ):
            refused = await http.get("/api/v1/usage", params=params)
            assert refused.status_code in (400, 422) and refused.json()["error"]["field"] == field, (
                params,
                refused.text,
            )
