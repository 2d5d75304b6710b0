"""The throughput load generator, in a process of its own (`python -m aidis.bench.load`).

Why a process: a generator sharing the bench's event loop — or the server's cores' time with the rest of
the bench — measures the generator as much as the server. Every server (AIDIS, the no-op floor) is
driven by the same generator, in the same number of processes, in the same run; only calls that finish
inside the common window count, so connection set-up and stragglers are left out.

Prints one JSON object: calls, errors and the window's seconds.
"""

from __future__ import annotations

import argparse
import json
import time

import anyio
import httpx2
from mcp.client.streamable_http import streamable_http_client

from mcp import Client

READY_SLACK = 0.05  # seconds a generator may start late and still count the whole window


async def _agent(
    url: str, connection: str, floor: bool, start_at: float, end_at: float, tally: list[int]
) -> None:
    headers = {"X-AIDIS-Connection": connection}
    transport = streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers, timeout=60))
    async with Client(transport) as client:
        if not floor:
            await client.call_tool("project_switch", {"project": "bench"})
        await anyio.sleep(max(0.0, start_at - time.time()))
        n = 0
        while time.time() < end_at:
            if floor:
                tool, args = "noop", {}
            elif n % 2:
                tool, args = "context_store", {"content": f"load {connection} {n}"}
            else:
                tool, args = "session_status", {}
            result = await client.call_tool(tool, args)
            if time.time() <= end_at:
                tally[0] += 1
                tally[1] += int(result.is_error)
            n += 1


async def generate(
    url: str, connections: int, prefix: str, floor: bool, start_at: float, duration: float
) -> dict[str, float]:
    """Run `connections` agents against `url` between `start_at` and `start_at + duration` (epoch)."""
    tally = [0, 0]
    end_at = start_at + duration
    async with anyio.create_task_group() as tasks:
        for index in range(connections):
            tasks.start_soon(_agent, url, f"{prefix}-{index}", floor, start_at, end_at, tally)
    late = max(0.0, time.time() - end_at)
    return {"calls": tally[0], "errors": tally[1], "seconds": duration, "finished_late_s": round(late, 3)}


def main() -> None:
    """Parse the arguments the bench passes and print the result as JSON."""
    parser = argparse.ArgumentParser(prog="python -m aidis.bench.load")
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--floor", action="store_true", help="call the no-op server's `noop` tool")
    parser.add_argument("--start-at", type=float, required=True, help="epoch seconds the window opens")
    parser.add_argument("--duration", type=float, required=True)
    args = parser.parse_args()
    result = anyio.run(
        generate, args.url, args.connections, args.prefix, args.floor, args.start_at, args.duration
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
