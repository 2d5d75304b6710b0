"""Per-call latency of a tool against the no-op floor, over one transport.

Invariant: a ratio's two sides are measured under the same conditions — each tool call follows a
no-op call over the same transport, so a slow moment of a noisy machine weighs on both.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcp import Client


@dataclass
class Latency:
    """One tool's latency over one transport."""

    engine: str
    transport: str
    tool: str
    contexts: int | None
    p50_ms: float
    p95_ms: float
    p99_ms: float
    calls_per_s: float
    ratio_to_floor: float | None


def percentile(samples: list[float], q: float) -> float:
    """The `q` quantile of `samples` (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def time_tool(
    client: Client, tool: str, make_args: Callable[[int], dict[str, Any]], calls: int
) -> list[float]:
    """Milliseconds of `calls` calls of one tool, after ten untimed ones."""
    for i in range(min(10, calls)):
        await client.call_tool(tool, make_args(i))
    samples = []
    for i in range(calls):
        started = time.perf_counter()
        result = await client.call_tool(tool, make_args(i))
        samples.append((time.perf_counter() - started) * 1000)
        if result.is_error:
            raise RuntimeError(f"{tool} failed during the benchmark: {result.content}")
    return samples


async def time_against_floor(
    noop: Client, client: Client, tool: str, make_args: Callable[[int], dict[str, Any]], calls: int
) -> tuple[list[float], float]:
    """A tool's samples and the median of no-op calls made between them over the same transport:
    each tool call follows a no-op call, so a slow moment of a noisy machine weighs on both sides of
    the ratio instead of on one row."""
    for i in range(min(10, calls)):
        await noop.call_tool("noop", {})
        await client.call_tool(tool, make_args(i))
    samples, floor = [], []
    for i in range(calls):
        started = time.perf_counter()
        await noop.call_tool("noop", {})
        floor.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        result = await client.call_tool(tool, make_args(i))
        samples.append((time.perf_counter() - started) * 1000)
        if result.is_error:
            raise RuntimeError(f"{tool} failed during the benchmark: {result.content}")
    return samples, statistics.median(floor)


def latency_row(
    engine: str,
    transport: str,
    tool: str,
    samples: list[float],
    floor: float | None,
    contexts: int | None = None,
) -> Latency:
    """A table row: percentiles, calls per second and the p50 as a multiple of `floor` (ms)."""
    p50 = statistics.median(samples)
    return Latency(
        engine,
        transport,
        tool,
        contexts,
        round(p50, 3),
        round(percentile(samples, 0.95), 3),
        round(percentile(samples, 0.99), 3),
        round(1000 / statistics.mean(samples), 1),
        round(p50 / floor, 2) if floor else None,
    )
