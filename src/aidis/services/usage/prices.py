"""What tokens cost: per model, per token kind, at the time they were used — offline and honest.

Invariants: prices come from the `genai-prices` package's shipped data (never fetched at run time) or
from the user's own price file (`AIDIS_PRICES_FILE`, which wins: negotiated rates, a local model at 0);
a model neither knows is *unpriced* — its cost is None, never a guess and never a silent 0; every cost
says which data priced it (`PriceBook.version`). Rates are the price of a small request per kind
(so a long-context tier never applies to a sum of many requests); tokens stay the stored fact and a
cost can be computed again whenever prices change.
"""

from __future__ import annotations

import fnmatch
import logging
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from aidis.errors import InvalidInput

log = logging.getLogger("aidis.usage")

# which price list an agent's models are on (the agents talk to their makers' APIs)
PROVIDERS = {"claude-code": "anthropic", "codex": "openai", "gemini-cli": "google"}
KINDS = ("input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens")
PROBE = 1000  # tokens of one kind in the probe request rates are read from
MILLION = Decimal(1_000_000)

__all__ = ["KINDS", "PROVIDERS", "PriceBook", "Rates"]


@dataclass(frozen=True, slots=True)
class Rates:
    """USD per million tokens of each kind."""

    input: Decimal
    output: Decimal
    cache_write: Decimal  # kept for five minutes
    cache_read: Decimal
    source: str
    cache_write_1h: Decimal | None = None  # kept for an hour (None: as cache_write)

    def cost(self, tokens: Mapping[str, int]) -> Decimal:
        """What these token counts (by column name, see KINDS; `cache_write_1h_tokens` a part of
        `cache_write_tokens`) cost at these rates."""
        hour = min(int(tokens.get("cache_write_1h_tokens", 0)), int(tokens.get("cache_write_tokens", 0)))
        parts = (
            (int(tokens.get("input_tokens", 0)), self.input),
            (int(tokens.get("output_tokens", 0)), self.output),
            (int(tokens.get("cache_write_tokens", 0)) - hour, self.cache_write),
            (hour, self.cache_write if self.cache_write_1h is None else self.cache_write_1h),
            (int(tokens.get("cache_read_tokens", 0)), self.cache_read),
        )
        return sum((Decimal(n) * rate for n, rate in parts), Decimal(0)) / MILLION


class PriceBook:
    """Rates by agent, model and day: the user's price file first, then genai-prices' data."""

    def __init__(self, overrides: Mapping[str, Rates] | None = None, *, file: Path | None = None) -> None:
        self.overrides = dict(overrides or {})
        self.file = file
        self._library = f"genai-prices {metadata.version('genai-prices')}"

    @classmethod
    def from_file(cls, path: Path | None) -> PriceBook:
        """The price book with `path`'s prices on top (InvalidInput naming the entry when it is wrong)."""
        if path is None:
            return cls()
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InvalidInput(
                f"cannot read the price file {path}: {exc.strerror}", field="prices_file"
            ) from exc
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"the price file {path} is not TOML: {exc}", field="prices_file") from exc
        models = data.get("models", {})
        if not isinstance(models, dict):
            raise InvalidInput("the price file needs a [models] table", field="prices_file")
        return cls({str(name): _rates(name, entry, path) for name, entry in models.items()}, file=path)

    @property
    def version(self) -> str:
        """Which data priced the costs shown (the library's version, and the user's file when there is one)."""
        return self._library + (f" + {self.file}" if self.file is not None else "")

    def rates(self, agent: str, model: str, when: datetime) -> Rates | None:
        """The rates of `model` used by `agent` on `when`'s day (None: unpriced)."""
        for pattern, rates in self.overrides.items():
            if pattern == model or fnmatch.fnmatchcase(model, pattern):
                return rates
        return _library_rates(PROVIDERS.get(agent), model, when.date().isoformat(), self._library)

    def cost(self, agent: str, model: str, when: datetime, tokens: Mapping[str, int]) -> Decimal | None:
        """What these tokens cost (None: the model is unpriced)."""
        found = self.rates(agent, model, when)
        return found.cost(tokens) if found is not None else None


@lru_cache(maxsize=4096)
def _library_rates(provider: str | None, model: str, day: str, source: str) -> Rates | None:
    """genai-prices' rates for a model on a day, read from probe requests (None: it does not know it)."""
    from genai_prices import Usage, calc_price  # its data loads on first use, not at import of AIDIS

    when = datetime.fromisoformat(f"{day}T12:00:00+00:00")
    probes = (
        Usage(input_tokens=PROBE),
        Usage(output_tokens=PROBE),
        Usage(input_tokens=PROBE, cache_write_tokens=PROBE),
        Usage(input_tokens=PROBE, cache_read_tokens=PROBE),
        Usage(input_tokens=PROBE, cache_write_tokens=PROBE, cache_write_1h_tokens=PROBE),
    )
    try:
        prices = [
            Decimal(
                calc_price(u, model_ref=model, provider_id=provider, genai_request_timestamp=when).total_price
            )
            for u in probes
        ]
    except LookupError:
        return None
    except (ValueError, TypeError) as exc:  # the library could not price it: unpriced, and said so
        log.warning("genai-prices could not price %s (%s): %s", model, provider, exc)
        return None
    input_, output, cache_write, cache_read, cache_write_1h = (p * MILLION / PROBE for p in prices)
    return Rates(input_, output, cache_write, cache_read, source=source, cache_write_1h=cache_write_1h)


def _rates(name: str, entry: Any, path: Path) -> Rates:
    if not isinstance(entry, dict):
        raise InvalidInput(f"models.{name} in {path} must be a table of rates", field=f"models.{name}")
    unknown = set(entry) - {"input", "output", "cache_write", "cache_read", "cache_write_1h"}
    if unknown:
        raise InvalidInput(
            f"models.{name}.{sorted(unknown)[0]}: unknown; give input, output, cache_write, cache_write_1h, "
            "cache_read (USD per million tokens)",
            field=f"models.{name}",
        )
    values = {}
    for kind in ("input", "output", "cache_write", "cache_read", "cache_write_1h"):
        if kind == "cache_write_1h" and kind not in entry:
            continue
        raw = entry.get(kind, 0)
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            value = Decimal(-1)
        if isinstance(raw, bool) or not value.is_finite() or value < 0:
            raise InvalidInput(
                f"models.{name}.{kind} must be a number of USD per million tokens, at least 0",
                field=f"models.{name}.{kind}",
            )
        values[kind] = value
    return Rates(**values, source=f"price file {path}")
