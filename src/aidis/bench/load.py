"""The throughput load generator, in a process of its own (`python -m aidis.bench.load`).

Why a process: a generator sharing the bench's event loop — or the server's cores' time with the rest of
the bench — measures the generator as much as the server. Every server (AIDIS, the no-op floor) is
driven by the same generator, in the same number of processes, in the same run; every generator
connects its agents first (each makes one call, so lazy start-up is paid before), says "ready", and
is told on stdin when the common window opens; only calls that finish inside it count.

Prints one JSON object: calls, errors and the window's seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from functools import partial

import anyio
import httpx2
from mcp.client.streamable_http import streamable_http_client

from mcp import Client


async def _agent(
    url: str,
    connection: str,
    floor: bool,
    ready: anyio.Event,
    window: list[float],
    tally: list[int],
    go: anyio.Event,
) -> None:
    headers = {"X-AIDIS-Connection": connection}
    transport = streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers, timeout=60))
    async with Client(transport) as client:
        if not floor:
            await client.call_tool("project_switch", {"project": "bench"})
        else:
            await client.call_tool("noop", {})
        ready.set()
        await go.wait()
        await anyio.sleep(max(0.0, window[0] - time.time()))
        n = 0
        while time.time() < window[1]:
            if floor:
                tool, args = "noop", {}
            elif n % 2:
                tool, args = "context_store", {"content": f"load {connection} {n}"}
            else:
                tool, args = "session_status", {}
            result = await client.call_tool(tool, args)
            if time.time() <= window[1]:
                tally[0] += 1
                tally[1] += int(result.is_error)
            n += 1


async def generate(url: str, connections: int, prefix: str, floor: bool, duration: float) -> dict[str, float]:
    """Connect `connections` agents to `url` (each makes one call), say "ready" on stdout, read the
    window's opening time (epoch seconds) from stdin, then call for `duration` seconds from then."""
    tally = [0, 0]
    window = [0.0, 0.0]
    go = anyio.Event()
    readies = [anyio.Event() for _ in range(connections)]
    async with anyio.create_task_group() as tasks:
        for index in range(connections):
            tasks.start_soon(_agent, url, f"{prefix}-{index}", floor, readies[index], window, tally, go)
        for ready in readies:
            await ready.wait()
        print("ready", flush=True)
        line = await anyio.to_thread.run_sync(sys.stdin.readline)
        window[0] = float(line)
        window[1] = window[0] + duration
        go.set()
    late = max(0.0, time.time() - window[1])
    return {"calls": tally[0], "errors": tally[1], "seconds": duration, "finished_late_s": round(late, 3)}


def main() -> None:
    """Parse the arguments the bench passes and print the result as JSON."""
    parser = argparse.ArgumentParser(prog="python -m aidis.bench.load")
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--floor", action="store_true", help="call the no-op server's `noop` tool")
    parser.add_argument("--duration", type=float, required=True)
    args = parser.parse_args()
    run = partial(generate, args.url, args.connections, args.prefix, args.floor, args.duration)
    result = anyio.run(run)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
