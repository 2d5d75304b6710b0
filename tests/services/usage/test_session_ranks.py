"""The costliest sessions of the Usage page come from each session's usage weighed by per-model rates
(`usage_session_ranks`): an expensive model's few tokens outrank a cheap model's many, an unpriced
model is still listed (after the priced ones), new rates recount the ranks, the ranks follow every write
and delete, and `aidis check` finds a rank that disagrees with its usage. The same on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from aidis.app import AppContext
from aidis.db.schema import session_usage, usage_session_ranks
from aidis.services.usage.prices import PriceBook
from aidis.services.usage.recording import record_hourly

PRICES = """
[models."opus-x"]
input = 15
output = 75
[models."mini-x"]
input = 0.1
output = 0.4
"""
HOUR = datetime(2026, 12, 2, 10, tzinfo=UTC)
DAY = date(2026, 12, 2)


def _session(app: AppContext, name: str, model: str, tokens_in: int, tokens_out: int) -> str:
    session = app.sessions.start(f"rank-{name}", agent_type="claude-code")
    with app.engine.begin() as conn:
        record_hourly(
            conn,
            session.id,
            {f"{HOUR:%Y-%m-%dT%H}|{model}": {"input": tokens_in, "output": tokens_out}},
            HOUR,
        )
    return session.display_id


@pytest.fixture
def three(app: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An expensive session with few tokens, a cheap one with many, an unpriced one with the most; the
    page prices only its two best candidates."""
    prices = tmp_path / "prices.toml"
    prices.write_text(PRICES)
    app.usage.prices = PriceBook.from_file(prices)
    monkeypatch.setattr("aidis.services.usage.reports.CANDIDATES", 2)
    return {
        "expensive": _session(app, "a", "opus-x", 1_000, 100),  # $0.0225
        "cheap": _session(app, "b", "mini-x", 100_000, 10_000),  # $0.014
        "unpriced": _session(app, "c", "local-x", 1_000_000, 0),
    }


def _top(app: AppContext) -> list[str]:
    return [line.key for line in app.usage.overview(DAY, DAY, timezone="UTC").sessions]


def test_an_expensive_models_few_tokens_outrank_a_cheap_models_many(
    app: AppContext, three: dict[str, str]
) -> None:
    assert _top(app) == [three["cheap"], three["unpriced"]]  # no rates written yet: by tokens
    assert app.usage.reweigh() == ["*", "local-x", "mini-x", "opus-x"]
    assert _top(app) == [three["expensive"], three["cheap"]]
    assert app.integrity.check().counts()["usage_rank_mismatch"] == 0
    assert app.usage.reweigh() == []  # the same rates: nothing recounted


def test_an_unpriced_model_is_still_listed_after_the_priced_ones(
    app: AppContext, three: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("aidis.services.usage.reports.CANDIDATES", 50)
    app.usage.reweigh()
    assert _top(app) == [three["expensive"], three["cheap"], three["unpriced"]]


def test_new_rates_recount_the_ranks(app: AppContext, three: dict[str, str], tmp_path: Path) -> None:
    app.usage.reweigh()
    cheaper = tmp_path / "cheaper.toml"
    cheaper.write_text(PRICES.replace("input = 15\noutput = 75", "input = 0.01\noutput = 0.01"))
    app.usage.prices = PriceBook.from_file(cheaper)
    assert app.usage.reweigh(batch=1) == ["*", "opus-x"]  # one session per transaction
    assert _top(app) == [three["cheap"], three["expensive"]]
    assert app.integrity.check().counts()["usage_rank_mismatch"] == 0


def test_ranks_follow_writes_and_deletes_and_check_finds_a_wrong_one(
    app: AppContext, three: dict[str, str]
) -> None:
    app.usage.reweigh()
    late = _session(app, "d", "brand-new-model", 10, 10)  # a model first seen now: the average rates
    assert app.integrity.check().counts()["usage_rank_mismatch"] == 0
    assert _top(app) == [three["expensive"], three["cheap"]]
    cheap = app.sessions.get(three["cheap"]).id
    with app.engine.begin() as conn:  # its usage taken back (nothing in AIDIS deletes usage; a repair might)
        conn.execute(delete(session_usage).where(session_usage.c.session_id == cheap))
        weight = conn.execute(
            select(usage_session_ranks.c.weight).where(usage_session_ranks.c.session_id == cheap)
        ).scalar_one()
    assert abs(weight) < 1e-12 and app.integrity.check().counts()["usage_rank_mismatch"] == 0
    assert _top(app) == [three["expensive"], late]  # the new model weighs the average rates
    with app.engine.begin() as conn:
        conn.execute(usage_session_ranks.update().values(weight=usage_session_ranks.c.weight * 2 + 1))
    assert app.integrity.check().counts()["usage_rank_mismatch"] == 3
    fixed = app.integrity.fix()
    assert fixed.fixes["usage_rank_mismatch"] == 3 and fixed.counts()["usage_rank_mismatch"] == 0
