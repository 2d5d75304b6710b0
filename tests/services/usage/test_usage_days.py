"""Usage kept per local day (`usage_days`): reports read a zone's days when it is kept and the hours
otherwise, and the two agree exactly — in zones with daylight saving and half-hour offsets, around
midnight and the changes of offset, through live writes, moves and merges; an hour belongs to the local
day its start falls on; `aidis check` finds days that disagree with the hours and `--fix` regroups them;
the kept zones follow the setting. The same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from aidis.app import AppContext
from aidis.config import load_settings
from aidis.db.schema import usage_days
from aidis.enums import UsageShape
from aidis.errors import InvalidInput
from aidis.services.usage.recording import record_hourly

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]
# around Berlin's change to summer time (01:00 UTC), New York's back to winter time (06:00 UTC),
# a UTC midnight, and Kolkata's midnight (18:30 UTC)
HOURS = (
    [datetime(2026, 3, 28, 22, tzinfo=UTC) + timedelta(hours=h) for h in range(6)]
    + [datetime(2026, 11, 1, 3, tzinfo=UTC) + timedelta(hours=h) for h in range(5)]
    + [datetime(2026, 11, 30, 17, tzinfo=UTC) + timedelta(hours=h) for h in range(9)]
)
AGENT_MODELS = {"claude-code": "claude-opus-4-8", "codex": "gpt-5-codex", "gemini-cli": "gemini-2.5-pro"}


def _fill(app: AppContext) -> dict[str, str]:
    """Three sessions (alpha, beta, Unassigned; one per agent), each with usage in every hour."""
    app.projects.create("alpha")
    app.projects.create("beta")
    ids = {}
    for n, (agent, project) in enumerate((("claude-code", "alpha"), ("codex", "beta"), ("gemini-cli", None))):
        session = app.sessions.start(f"days-{agent}", project=project, agent_type=agent)
        ids[agent] = session.display_id
        hourly = {
            f"{hour:%Y-%m-%dT%H}|{AGENT_MODELS[agent]}": {
                "input": 100 * (n + 1) + i,
                "output": 10 * (i + 1),
                "cache_creation": i * 3,
                "cache_read": 1000 + i,
            }
            for i, hour in enumerate(HOURS)
        }
        with app.engine.begin() as conn:
            record_hourly(conn, session.id, hourly, HOURS[0])
    return ids


def _reports(app: AppContext, zone: str) -> dict[str, object]:
    """Every day-based shape (with breakdowns) and the Usage page's days, as plain values."""
    out: dict[str, object] = {}
    for shape in (UsageShape.DAILY, UsageShape.WEEKLY, UsageShape.MONTHLY, UsageShape.PROJECT):
        report = app.usage.report(shape, timezone=zone, breakdown=True)
        out[shape.value] = [
            (line.key, dict(line.tokens), line.cost, sorted(line.breakdown)) for line in report.lines
        ]
        out[f"{shape.value} total"] = dict(report.total.tokens)
    one = app.usage.report(UsageShape.DAILY, since=date(2026, 11, 30), until=date(2026, 12, 1), timezone=zone)
    out["two days"] = [(line.key, dict(line.tokens)) for line in one.lines]
    agent = app.usage.report(UsageShape.DAILY, timezone=zone, agent="codex")
    out["codex"] = [(line.key, dict(line.tokens)) for line in agent.lines]
    page = app.usage.overview(date(2026, 3, 27), date(2026, 3, 31), timezone=zone)
    out["page"] = (page.per_project, [(m.key, dict(m.tokens)) for m in page.models])
    return out


def _kept(app: AppContext, zones: list[str]) -> dict[str, list[str]]:
    app.usage.day_zones = ",".join(zones)
    done = app.usage.prepare_days()
    return {"added": done["added"], "dropped": done["dropped"]}


def test_reports_from_the_kept_days_equal_those_from_the_hours(app: AppContext) -> None:
    _fill(app)
    assert _kept(app, []) == {"added": [], "dropped": []}
    from_hours = {zone: _reports(app, zone) for zone in ZONES}
    assert _kept(app, ZONES) == {"added": ZONES, "dropped": []}  # regrouped from the hours once
    assert app.integrity.check().counts()["usage_day_mismatch"] == 0
    assert {zone: _reports(app, zone) for zone in ZONES} == from_hours
    # the days are what was read: change them and the report changes, and check sees it
    with app.engine.begin() as conn:
        conn.execute(usage_days.update().values(output_tokens=usage_days.c.output_tokens + 1))
    assert _reports(app, "Europe/Berlin") != from_hours["Europe/Berlin"]
    assert app.integrity.check().counts()["usage_day_mismatch"] > 0
    fixed = app.integrity.fix()
    assert fixed.fixes["usage_day_mismatch"] > 0 and fixed.counts()["usage_day_mismatch"] == 0
    assert {zone: _reports(app, zone) for zone in ZONES} == from_hours


def test_the_days_follow_live_writes_moves_and_merges(app: AppContext) -> None:
    _kept(app, ZONES)  # kept before anything is written: the triggers alone keep them
    ids = _fill(app)
    app.sessions.assign(ids["gemini-cli"], "alpha")
    app.merges.merge("alpha", "beta")
    assert app.integrity.check().counts()["usage_day_mismatch"] == 0
    from_days = {zone: _reports(app, zone) for zone in ZONES}
    assert [line[0] for line in from_days["UTC"]["project"]] == ["beta"]  # type: ignore[index]
    _kept(app, [])
    assert {zone: _reports(app, zone) for zone in ZONES} == from_days


def test_an_hour_belongs_to_the_local_day_its_start_falls_on(app: AppContext) -> None:
    _kept(app, ZONES)
    _fill(app)
    with app.engine.connect() as conn:
        rows = conn.execute(select(usage_days.c.zone, usage_days.c.day, usage_days.c.output_tokens)).all()
    per_day: dict[tuple[str, date], int] = {}
    for zone, day, output in rows:
        per_day[(zone, day)] = per_day.get((zone, day), 0) + output
    out = [10 * (i + 1) * 3 for i in range(len(HOURS))]  # each hour's output, three sessions

    def hours(*indexes: int) -> int:
        return sum(out[i] for i in indexes)

    # Berlin: 22:00 UTC on the 28th is 23:00 CET (the 28th); 22:00 UTC on the 29th would be the 30th
    assert per_day[("Europe/Berlin", date(2026, 3, 28))] == hours(0)
    assert per_day[("Europe/Berlin", date(2026, 3, 29))] == hours(1, 2, 3, 4, 5)
    # New York on 1 November: 03:00 UTC is still 31 October (23:00 EDT); 04:00 is midnight, and after
    # 06:00 UTC (back to EST, -5) the same day goes on
    assert per_day[("America/New_York", date(2026, 10, 31))] == hours(6)
    assert per_day[("America/New_York", date(2026, 11, 1))] == hours(7, 8, 9, 10)
    # Kolkata (+5:30): 18:00 UTC starts at 23:30 (the 30th), 19:00 UTC at 00:30 (1 December)
    assert per_day[("Asia/Kolkata", date(2026, 11, 1))] == hours(6, 7, 8, 9, 10)
    assert per_day[("Asia/Kolkata", date(2026, 11, 30))] == hours(11, 12)
    assert per_day[("Asia/Kolkata", date(2026, 12, 1))] == hours(13, 14, 15, 16, 17, 18, 19)
    assert per_day[("UTC", date(2026, 11, 30))] == hours(11, 12, 13, 14, 15, 16, 17)
    assert per_day[("UTC", date(2026, 12, 1))] == hours(18, 19)


def test_the_kept_zones_follow_the_setting_and_a_wrong_one_names_it(
    app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(app)
    _kept(app, ZONES)
    assert _kept(app, ["UTC", "Asia/Kolkata"]) == {
        "added": [],
        "dropped": ["America/New_York", "Europe/Berlin"],
    }
    with app.engine.connect() as conn:
        assert set(conn.execute(select(usage_days.c.zone).distinct()).scalars()) == {"UTC", "Asia/Kolkata"}
    assert _kept(app, ["utc", "Asia/Kolkata", "UTC"]) == {"added": [], "dropped": []}  # one spelling each
    monkeypatch.setenv("AIDIS_USAGE_ZONES", "UTC,Mars/Olympus_Mons")
    with pytest.raises(InvalidInput) as refused:
        load_settings()
    assert refused.value.field == "AIDIS_USAGE_ZONES" and "Mars/Olympus_Mons" in refused.value.message
    with pytest.raises(InvalidInput) as asked:
        app.usage.report(UsageShape.DAILY, timezone="Mars/Olympus_Mons")
    assert asked.value.field == "timezone"


def test_a_range_of_centuries_is_answered_in_a_zone_kept_or_not(app: AppContext) -> None:
    _fill(app)
    for kept in ([], ["UTC", "Asia/Tokyo"]):
        _kept(app, kept)
        empty = app.usage.report(
            UsageShape.DAILY, since=date(90, 4, 30), until=date(511, 11, 20), timezone="Asia/Tokyo"
        )
        assert empty.lines == [] and empty.total.total_tokens == 0
        wide = app.usage.report(
            UsageShape.DAILY, since=date(1, 1, 2), until=date(9999, 12, 30), timezone="Asia/Tokyo"
        )
        everything = app.usage.report(UsageShape.DAILY, timezone="Asia/Tokyo")
        assert [(x.key, x.tokens) for x in wide.lines] == [(x.key, x.tokens) for x in everything.lines]
        assert [x.key for x in everything.lines] == ["2026-03-29", "2026-11-01", "2026-12-01"], kept
