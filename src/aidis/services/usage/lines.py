"""The lines of a usage report and how token sums become them: a day, week, month, session or project
with its tokens by kind, its cost, and what could not be priced.

Invariant: a line's cost is the sum of its priced parts only; tokens of an unpriced model are counted in
`unpriced_tokens` (and named in `unpriced_models`), never as a cost of 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from aidis.enums import UsageShape
from aidis.repositories.usage_rollups import Bucket
from aidis.services.usage.prices import KINDS

__all__ = ["UsageLine", "day_buckets", "label_of", "order_of", "start_of"]


@dataclass
class UsageLine:
    """One line of a report (a day, week, month, session or project; or one model of it)."""

    key: str
    tokens: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    cost: Decimal = Decimal(0)
    priced_rows: int = 0
    unpriced_tokens: int = 0
    models: set[str] = field(default_factory=set)
    unpriced_models: set[str] = field(default_factory=set)
    breakdown: dict[str, UsageLine] = field(default_factory=dict)
    project: str | None = None  # a session line's project
    agent: str | None = None

    @property
    def total_tokens(self) -> int:
        """Every kind of token together."""
        return sum(self.tokens.values())

    @property
    def cost_usd(self) -> Decimal | None:
        """The priced part's cost (None when nothing in the line could be priced)."""
        return self.cost if self.priced_rows else None

    def add(self, model: str, tokens: Mapping[str, int], cost: Decimal | None) -> None:
        """Count one model's tokens (by kind) and their price (None when the model is unpriced)."""
        for kind in KINDS:
            self.tokens[kind] += int(tokens.get(kind, 0))
        self.models.add(model)
        if cost is None:
            self.unpriced_tokens += sum(int(tokens.get(kind, 0)) for kind in KINDS)
            self.unpriced_models.add(model)
        else:
            self.cost += cost
            self.priced_rows += 1


def start_of(day: date, zone: tzinfo) -> datetime:
    """The UTC moment a local day begins."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def day_buckets(first: date, last: date, zone: tzinfo) -> list[Bucket]:
    """One bucket a local day, `first` to `last` inclusive (DST-correct UTC bounds)."""
    count = (last - first).days + 1
    days = [first + timedelta(days=i) for i in range(max(count, 0))]
    return [Bucket(d.isoformat(), start_of(d, zone), start_of(d + timedelta(days=1), zone)) for d in days]


def label_of(shape: UsageShape, day: date) -> str:
    """The line a local day's usage belongs to in a daily, weekly (its Monday) or monthly report."""
    if shape is UsageShape.WEEKLY:
        return (day - timedelta(days=day.weekday())).isoformat()
    if shape is UsageShape.MONTHLY:
        return day.strftime("%Y-%m")
    return day.isoformat()


def order_of(shape: UsageShape, line: UsageLine) -> tuple[object, ...]:
    """Lines by time; sessions and projects the costliest first, as people look for them."""
    if shape in (UsageShape.SESSION, UsageShape.PROJECT):
        return (-(line.cost_usd or Decimal(0)), -line.total_tokens, line.key)
    return (line.key,)
