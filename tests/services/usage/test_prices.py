"""Prices, offline and honest: a model the bundled data knows is priced at its list rates for each
token kind; one it does not know is unpriced (None), never 0; the user's price file wins (a local model
at 0 is priced, at 0); a wrong price file is refused naming the entry; the data's version is said."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from aidis.errors import InvalidInput
from aidis.services.usage.prices import PriceBook

WHEN = datetime(2026, 3, 1, 12, tzinfo=UTC)
MIX = {
    "input_tokens": 1_000,
    "output_tokens": 2_000,
    "cache_write_tokens": 4_000,
    "cache_read_tokens": 100_000,
}


def test_a_known_model_is_priced_at_its_list_rates_per_kind() -> None:
    # Claude Sonnet 4.5's list prices: $3 input, $15 output, $3.75 cache write (5 min), $0.30 cache read
    expected = (
        Decimal(1_000) * 3
        + Decimal(2_000) * 15
        + Decimal(4_000) * Decimal("3.75")
        + Decimal(100_000) * Decimal("0.30")
    ) / 1_000_000
    assert PriceBook().cost("claude-code", "claude-sonnet-4-5-20250929", WHEN, MIX) == expected


def test_an_unknown_model_is_unpriced_never_zero() -> None:
    book = PriceBook()
    assert book.cost("codex", "gpt-standin", WHEN, MIX) is None
    assert book.rates("claude-code", "claude-from-the-future-99", WHEN) is None


def test_the_users_price_file_wins_and_a_local_model_costs_zero(tmp_path: Path) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text(
        '[models."claude-sonnet-4-5*"]\ninput = 1.5\noutput = 7.5\ncache_write = 2\ncache_read = 0.1\n'
        '[models."qwen-local"]\ninput = 0\noutput = 0\n'
    )
    book = PriceBook.from_file(prices)
    negotiated = book.cost("claude-code", "claude-sonnet-4-5-20250929", WHEN, MIX)
    assert (
        negotiated
        == (
            Decimal(1_000) * Decimal("1.5")
            + Decimal(2_000) * Decimal("7.5")
            + Decimal(4_000) * 2
            + Decimal(100_000) * Decimal("0.1")
        )
        / 1_000_000
    )
    assert book.cost("codex", "qwen-local", WHEN, MIX) == 0  # priced, at 0 — not unpriced
    assert str(prices) in book.version and "genai-prices" in book.version


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('[models."m"]\ninput = -1\n', "models.m.input"),
        ('[models."m"]\ninput = "cheap"\n', "models.m.input"),
        ('[models."m"]\nprompt = 1\n', "models.m"),
        ("models = 3\n", "prices_file"),
        ("this is not toml = = \n", "prices_file"),
    ],
)
def test_a_wrong_price_file_is_refused_naming_the_entry(tmp_path: Path, text: str, field: str) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text(text)
    with pytest.raises(InvalidInput) as refused:
        PriceBook.from_file(prices)
    assert refused.value.field == field, refused.value.message


def test_a_missing_price_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as refused:
        PriceBook.from_file(tmp_path / "nowhere.toml")
    assert refused.value.field == "prices_file" and "nowhere.toml" in refused.value.message


def test_one_hour_cache_writes_are_priced_at_their_own_rate(tmp_path: Path) -> None:
    # Anthropic: a cache write kept for an hour costs twice the input rate (Sonnet 4.5: $6), five minutes $3.75
    mix = {**MIX, "cache_write_1h_tokens": 1_000}  # 1,000 of the 4,000 cache writes were for an hour
    five_minutes = PriceBook().cost("claude-code", "claude-sonnet-4-5-20250929", WHEN, MIX)
    assert five_minutes is not None
    with_hour = PriceBook().cost("claude-code", "claude-sonnet-4-5-20250929", WHEN, mix)
    assert with_hour == five_minutes + Decimal(1_000) * (Decimal(6) - Decimal("3.75")) / 1_000_000
    prices = tmp_path / "prices.toml"
    prices.write_text('[models."m"]\ninput = 1\ncache_write = 2\n')
    assert (
        PriceBook.from_file(prices).cost("claude-code", "m", WHEN, mix)
        == (Decimal(1_000) * 1 + Decimal(4_000) * 2) / 1_000_000
    )  # no 1-hour rate given: the five-minute one
