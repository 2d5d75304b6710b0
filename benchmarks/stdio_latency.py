"""p50/p95 latency of AIDIS tools over a real stdio subprocess, next to a no-op tool's floor.

    python benchmarks/stdio_latency.py [--calls 500] [--database-url URL]

Uses the official SDK client. Prints a table and a JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from mcp.client.stdio import StdioServerParameters

from mcp import Client

HERE = Path(__file__).parent


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _time_calls(client: Client, tool: str, make_args: Any, calls: int) -> list[float]:
    for i in range(20):  # warm-up
        await client.call_tool(tool, make_args(i))
    samples = []
    for i in range(calls):
        started = time.perf_counter()
        result = await client.call_tool(tool, make_args(i))
        samples.append((time.perf_counter() - started) * 1000)
        if result.is_error:
            raise RuntimeError(f"{tool} failed: {result.content}")
    return samples


async def main(calls: int, database_url: str) -> dict[str, Any]:
    env = {**os.environ, "AIDIS_DATABASE_URL": database_url, "AIDIS_LOG_LEVEL": "WARNING"}
    aidis = StdioServerParameters(command=str(Path(sys.executable).parent / "aidis"), args=["mcp"], env=env)
    noop = StdioServerParameters(command=sys.executable, args=[str(HERE / "noop_server.py")], env=env)
    results: dict[str, list[float]] = {}
    async with Client(noop) as client:
        results["noop (floor)"] = await _time_calls(client, "noop", lambda i: {}, calls)
    async with Client(aidis) as client:
        results["aidis_ping"] = await _time_calls(client, "aidis_ping", lambda i: {}, calls)
        results["context_store"] = await _time_calls(
            client,
            "context_store",
            lambda i: {"content": f"benchmark note {i}: decided to cache the parser"},
            calls,
        )
        results["session_status"] = await _time_calls(client, "session_status", lambda i: {}, calls)
    floor = statistics.median(results["noop (floor)"])
    report = {
        name: {
            "p50_ms": round(statistics.median(s), 3),
            "p95_ms": round(_pct(s, 0.95), 3),
            "p99_ms": round(_pct(s, 0.99), 3),
            "calls_per_s": round(1000 / statistics.mean(s), 1),
            "ratio_to_floor": round(statistics.median(s) / floor, 2),
        }
        for name, s in results.items()
    }
    engine = database_url.split(":", 1)[0]
    print(f"stdio, {calls} calls each, database {engine}")
    print(f"{'tool':<16}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'calls/s':>10}{'x floor':>9}")
    for name, row in report.items():
        print(
            f"{name:<16}{row['p50_ms']:>9}{row['p95_ms']:>9}{row['p99_ms']:>9}{row['calls_per_s']:>10}"
            f"{row['ratio_to_floor']:>9}"
        )
    print(json.dumps({"transport": "stdio", "engine": engine, "calls": calls, "results": report}))
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    anyio.run(main, args.calls, url)
