"""Usage reports from the recorded transcripts of the three real agents, applied through their hooks
as they ran: tokens by hour and model equal each session's exact totals (every response counted once,
though Stop and SessionEnd both read the transcript); each shape groups them; days are cut in the asked
time zone; costs use the price file's rates, an unknown model is unpriced; a person sees only what they
may read, and the report is an audited read. The same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from aidis.app import AppContext
from aidis.db.schema import audit_log, session_usage, usage_rollups
from aidis.enums import Surface, UsageShape
from aidis.errors import InvalidInput
from aidis.services.principal import acting_as
from aidis.services.usage.prices import PriceBook
from tests.agents.recorded import AGENTS, TOKENS, recorded, replay

# the stand-in models' prices, per million tokens (codex's gpt-standin is left unpriced on purpose)
PRICES = """
[models."claude-opus-4-8"]
input = 5
output = 25
cache_write = 6.25
cache_read = 0.5
[models."gemini-3.1-*"]
input = 2
output = 12
cache_read = 0.2
"""


@pytest.fixture
def recorded_day(app: AppContext, tmp_path: Path) -> dict[str, str]:
    """One session per agent, from its recorded hooks and transcript (all on 2026-12-02, 18:10 UTC)."""
    prices = tmp_path / "prices.toml"
    prices.write_text(PRICES)
    app.usage.prices = PriceBook.from_file(prices)
    workspace = tmp_path / "work"
    workspace.mkdir()
    return {
        agent: replay(app, agent, recorded(agent, workspace, tmp_path), f"usage-{agent}").display_id
        for agent in AGENTS
    }


def test_tokens_by_hour_and_model_equal_each_sessions_exact_totals(
    app: AppContext, recorded_day: dict[str, str]
) -> None:
    report = app.usage.report(UsageShape.SESSION, timezone="UTC")
    by_session = {line.key: line for line in report.lines}
    assert set(by_session) == set(recorded_day.values())
    for agent, display_id in recorded_day.items():
        line = by_session[display_id]
        sent = (
            line.tokens["input_tokens"] + line.tokens["cache_write_tokens"] + line.tokens["cache_read_tokens"]
        )
        assert (sent, line.tokens["output_tokens"]) == TOKENS[agent], agent
        session = app.sessions.get(display_id)
        assert (session.input_tokens, session.output_tokens) == TOKENS[agent]
        assert line.agent == agent and line.project == "Unassigned"


def test_costs_use_the_rates_and_an_unknown_model_stays_unpriced(
    app: AppContext, recorded_day: dict[str, str]
) -> None:
    report = app.usage.report(UsageShape.SESSION, timezone="UTC", breakdown=True)
    by_session = {line.key: line for line in report.lines}
    claude = by_session[recorded_day["claude-code"]]
    t = claude.tokens
    expected = (
        Decimal(t["input_tokens"]) * 5
        + Decimal(t["output_tokens"]) * 25
        + Decimal(t["cache_write_tokens"]) * Decimal("6.25")
        + Decimal(t["cache_read_tokens"]) * Decimal("0.5")
    ) / 1_000_000
    assert claude.cost_usd == expected and claude.unpriced_tokens == 0
    codex = by_session[recorded_day["codex"]]
    assert codex.cost_usd is None and codex.unpriced_tokens == sum(TOKENS["codex"])
    assert codex.unpriced_models == {"gpt-standin"}
    total = report.total
    assert total.unpriced_tokens == sum(TOKENS["codex"]) and total.cost_usd is not None
    assert total.cost_usd == sum((line.cost_usd or Decimal(0)) for line in report.lines)
    assert "price file" in report.price_data or "prices.toml" in report.price_data


def test_each_shape_groups_the_same_tokens(app: AppContext, recorded_day: dict[str, str]) -> None:
    everything = sum(sum(t) for t in TOKENS.values())
    keys = {
        UsageShape.DAILY: ["2026-12-02"],
        UsageShape.WEEKLY: ["2026-11-30"],  # its Monday
        UsageShape.MONTHLY: ["2026-12"],
        UsageShape.PROJECT: ["Unassigned"],
    }
    for shape, expected in keys.items():
        report = app.usage.report(shape, timezone="UTC")
        assert [line.key for line in report.lines] == expected, shape
        assert report.total.total_tokens == everything, shape


def test_days_are_cut_in_the_asked_time_zone_and_filtered_inclusively(
    app: AppContext, recorded_day: dict[str, str]
) -> None:
    tokyo = app.usage.report(UsageShape.DAILY, timezone="Asia/Tokyo")  # 18:10 UTC is 03:10 next day
    assert [line.key for line in tokyo.lines] == ["2026-12-03"] and tokyo.timezone == "Asia/Tokyo"
    inside = app.usage.report(
        UsageShape.DAILY, timezone="UTC", since=date(2026, 12, 2), until=date(2026, 12, 2)
    )
    assert inside.total.total_tokens > 0
    before = app.usage.report(UsageShape.DAILY, timezone="UTC", until=date(2026, 12, 1))
    after = app.usage.report(UsageShape.DAILY, timezone="UTC", since=date(2026, 12, 3))
    assert before.lines == [] and after.lines == []
    only = app.usage.report(UsageShape.DAILY, timezone="UTC", agent="gemini-cli")
    assert only.total.total_tokens == sum(TOKENS["gemini-cli"])
    model = app.usage.report(UsageShape.DAILY, timezone="UTC", model="claude-opus-4-8")
    assert model.total.total_tokens == sum(TOKENS["claude-code"])


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"since": date(2026, 12, 3), "until": date(2026, 12, 1)}, "until"),
        ({"person": "nobody-of-that-name"}, "person"),
    ],
)
def test_bad_filters_are_refused_naming_the_field(
    app: AppContext, arguments: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        app.usage.report(UsageShape.DAILY, **arguments)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_a_person_sees_only_the_usage_they_may_read(
    app: AppContext, recorded_day: dict[str, str], tmp_path: Path
) -> None:
    app.projects.create("alpha")
    app.projects.create("beta")
    app.sessions.assign(recorded_day["claude-code"], "alpha")
    app.sessions.assign(recorded_day["codex"], "beta")
    app.team.add_user("ada")
    app.team.grant("alpha", "read", user="ada")
    ada = app.team.authenticate(app.team.create_token("ada")[1], surface=Surface.API)
    with acting_as(ada, "usage"):
        seen = app.usage.report(UsageShape.PROJECT, timezone="UTC")
    assert [line.key for line in seen.lines] == ["alpha"]  # beta is not hers; Unassigned holds none of hers
    assert seen.total.total_tokens == sum(TOKENS["claude-code"])
    app.audit.flush()
    with app.engine.connect() as conn:
        reads = (
            conn.execute(
                select(audit_log.c.action).where(audit_log.c.user_name == "ada", audit_log.c.kind == "read")
            )
            .scalars()
            .all()
        )
    assert reads == ["usage"]


def test_tokens_are_counted_for_prometheus_by_project_agent_model_and_kind(
    app: AppContext, recorded_day: dict[str, str]
) -> None:
    registry = app.telemetry.metrics.registry
    labels = {"project": "Unassigned", "agent": "claude-code", "model": "claude-opus-4-8"}
    counted = {
        kind: registry.get_sample_value("aidis_tokens_total", {**labels, "kind": kind}) or 0
        for kind in ("input", "output", "cache_write", "cache_read")
    }
    assert counted["output"] == TOKENS["claude-code"][1]
    assert counted["input"] + counted["cache_write"] + counted["cache_read"] == TOKENS["claude-code"][0]


def test_check_finds_usage_that_does_not_add_up_to_the_transcript_totals(
    app: AppContext, recorded_day: dict[str, str]
) -> None:
    assert app.integrity.check().counts()["usage_mismatch"] == 0
    claude = app.sessions.get(recorded_day["claude-code"])
    with app.engine.begin() as conn:
        conn.execute(
            session_usage.update()
            .where(session_usage.c.session_id == claude.id)
            .values(output_tokens=session_usage.c.output_tokens + 1)
        )
    report = app.integrity.check()
    assert report.counts()["usage_mismatch"] == 1
    assert str(claude.id) in next(r for r in report.checks if r.name == "usage_mismatch").samples


def test_the_rollups_follow_moves_and_merges_and_check_proves_them(
    app: AppContext, recorded_day: dict[str, str]
) -> None:
    app.projects.create("alpha")
    app.projects.create("beta")
    app.sessions.assign(recorded_day["claude-code"], "alpha")  # one session moved
    app.sessions.assign(recorded_day["gemini-cli"], "beta")
    report = app.usage.report(UsageShape.PROJECT, timezone="UTC")
    by_project = {line.key: line.total_tokens for line in report.lines}
    assert by_project == {
        "alpha": sum(TOKENS["claude-code"]),
        "beta": sum(TOKENS["gemini-cli"]),
        "Unassigned": sum(TOKENS["codex"]),
    }
    app.merges.merge("alpha", "beta")  # a bulk move of every session of alpha
    merged = {
        line.key: line.total_tokens for line in app.usage.report(UsageShape.PROJECT, timezone="UTC").lines
    }
    assert merged == {
        "beta": sum(TOKENS["claude-code"]) + sum(TOKENS["gemini-cli"]),
        "Unassigned": sum(TOKENS["codex"]),
    }
    counts = app.integrity.check().counts()
    assert counts["usage_rollup_mismatch"] == 0 and counts["usage_mismatch"] == 0
    with app.engine.begin() as conn:
        conn.execute(usage_rollups.update().values(output_tokens=usage_rollups.c.output_tokens + 7))
    assert app.integrity.check().counts()["usage_rollup_mismatch"] > 0
    fixed = app.integrity.fix()
    assert fixed.fixes["usage_rollup_mismatch"] > 0 and fixed.counts()["usage_rollup_mismatch"] == 0
    again = {
        line.key: line.total_tokens for line in app.usage.report(UsageShape.PROJECT, timezone="UTC").lines
    }
    assert again == merged


def test_a_person_filter_and_unassigned_owners_hold_on_the_rollups(
    app: AppContext, recorded_day: dict[str, str]
) -> None:
    app.team.add_user("ada")
    ada = app.team.authenticate(app.team.create_token("ada")[1], surface=Surface.API)
    with acting_as(ada, "usage"):  # every recorded session is Unassigned and nobody's: none is hers
        assert app.usage.report(UsageShape.DAILY, timezone="UTC").lines == []
    assert app.usage.report(UsageShape.DAILY, timezone="UTC", person="ada").lines == []
    assert app.usage.report(UsageShape.DAILY, timezone="UTC").total.total_tokens == sum(
        sum(t) for t in TOKENS.values()
    )
