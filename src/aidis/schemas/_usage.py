"""Output shapes of usage reports: lines of tokens and cost, and a report."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from aidis.schemas._base import Out


class UsageLineOut(Out):
    """Tokens and cost of one line of a usage report (a day, week, month, session, project or model)."""

    key: str = Field(description="The day, week (its Monday), month, session display id, project or model")
    input_tokens: int = Field(description="Input tokens not read from or written to a cache")
    output_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    total_tokens: int
    cost_usd: float | None = Field(description="Cost of the priced tokens; null when none could be priced")
    unpriced_tokens: int = Field(description="Tokens of models no price data knows (not in cost_usd)")
    models: list[str]
    unpriced_models: list[str]
    project: str | None = None
    agent: str | None = None
    breakdown: list[UsageLineOut] = Field(default_factory=list, description="Per model, with --breakdown")

    @classmethod
    def of(cls, line: Any) -> UsageLineOut:
        """From a report line (aidis.services.usage.reports.UsageLine)."""
        cost = line.cost_usd
        return cls(
            key=line.key,
            **line.tokens,
            total_tokens=line.total_tokens,
            cost_usd=round(float(cost), 6) if cost is not None else None,
            unpriced_tokens=line.unpriced_tokens,
            models=sorted(line.models),
            unpriced_models=sorted(line.unpriced_models),
            project=line.project,
            agent=line.agent,
            breakdown=[cls.of(b) for b in sorted(line.breakdown.values(), key=lambda b: b.key)],
        )


class UsageReportOut(Out):
    """A usage report: its lines, their total, the time zone days were cut in, and the price data."""

    shape: str
    timezone: str
    price_data: str = Field(description="Which price data priced the costs (and the user's price file)")
    items: list[UsageLineOut]
    total: UsageLineOut

    @classmethod
    def of(cls, report: Any) -> UsageReportOut:
        """From a report (aidis.services.usage.reports.UsageReport)."""
        return cls(
            shape=report.shape.value,
            timezone=report.timezone,
            price_data=report.price_data,
            items=[UsageLineOut.of(line) for line in report.lines],
            total=UsageLineOut.of(report.total),
        )
