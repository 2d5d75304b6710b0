"""The rates the costliest-sessions ranking weighs usage with: one set per model, from the price data.

Invariant: the ranking only chooses which sessions a page prices exactly, so its weights may be today's
rates (not each day's); a model the data does not price weighs 0 (it is listed after priced ones, by
tokens, never given a guessed cost); a model first used after the weights were written weighs the
average of the priced ones (the `*` row) until they are written again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from aidis.services.usage.prices import PriceBook

__all__ = ["ranking_weights"]

FALLBACK = "*"


def ranking_weights(
    prices: PriceBook, used: Iterable[tuple[str, str]], when: datetime
) -> dict[str, tuple[float, float, float, float]]:
    """Rates (USD per million tokens: input, output, cache write, cache read) of each model used (by the
    first agent seen using it), and the `*` row for models not seen yet."""
    out: dict[str, tuple[float, float, float, float]] = {}
    for agent, model in used:
        if model in out:
            continue
        rates = prices.rates(agent, model, when)
        out[model] = (
            (float(rates.input), float(rates.output), float(rates.cache_write), float(rates.cache_read))
            if rates is not None
            else (0.0, 0.0, 0.0, 0.0)
        )
    priced = [w for w in out.values() if any(w)]
    if priced:
        out[FALLBACK] = tuple(sum(w[i] for w in priced) / len(priced) for i in range(4))  # type: ignore[assignment]
    else:
        out[FALLBACK] = (1.0, 1.0, 1.0, 1.0)  # nothing priced yet: every token weighs the same
    return out
