"""Where a tool call's time goes: py-spy samples a real `aidis mcp` (stdio) while the official SDK
client makes N calls of each tool, then busy samples are attributed to layers by the innermost frame
that belongs to a known package.

    python -m venv /tmp/spy && /tmp/spy/bin/pip install py-spy
    .venv/bin/python benchmarks/profile_calls.py --py-spy /tmp/spy/bin/py-spy --calls 2000 --engine sqlite

py-spy is not a dependency of AIDIS (it is a profiler binary); the script refuses to run without it.
PostgreSQL runs create a throw-away database and drop it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg
from mcp.client.stdio import StdioServerParameters

from mcp import Client

LAYERS = [  # (layer, path fragments), first match from the innermost frame outwards wins
    # The SDK's stdio transport reads stdin and writes stdout on anyio worker threads: a sample whose
    # innermost Python frame is the worker's `context.run(...)` is in that C-level I/O.
    ("SDK stdio I/O (worker threads)", ("anyio/_backends/_asyncio.py:1124)",)),
    ("SQLAlchemy (compile, execute, result)", ("sqlalchemy/",)),
    ("database driver (sqlite3 / psycopg)", ("psycopg/", "sqlite3/", "psycopg_pool/")),
    ("pydantic (validate in/out)", ("pydantic/", "pydantic_core/")),
    ("telemetry (OpenTelemetry, metrics)", ("opentelemetry/", "prometheus_client/", "aidis/telemetry")),
    ("MCP SDK (framing, dispatch)", ("site-packages/mcp/", "site-packages/mcp_types/")),
    ("thread hop (anyio worker threads)", ("anyio/", "concurrent/futures", "threading.py", "queue.py")),
    ("asyncio event loop", ("asyncio/", "selectors.py", "json/")),
    ("AIDIS services and tools", ("aidis/",)),
]


IDLE = ("Condition.wait", "EpollSelector.select", "Queue.get")


def layer_of(stack: str) -> str | None:
    """The layer a sampled stack (outermost;…;innermost) spends its time in; None when it waits."""
    frames = stack.split(";")
    if any(frames[-1].startswith(idle) for idle in IDLE):
        return None
    for frame in reversed(frames):
        for name, fragments in LAYERS:
            if any(fragment in frame for fragment in fragments):
                return name
    return "other (interpreter, imports)"


TOOLS = {
    "context_store": lambda i: {"content": f"profiling note {i} about caching and retries"},
    "session_status": lambda i: {},
    "context_search": lambda i: {"query": f"caching note {i % 50}"},
    "session_new": lambda i: {"title": f"profiled {i}"},
}


async def drive(command: list[str], env: dict[str, str], calls: int, tools: list[str]) -> None:
    """Make `calls` calls of each measured tool through one stdio connection."""
    params = StdioServerParameters(command=command[0], args=command[1:], env=env)
    async with Client(params) as client:
        await client.call_tool("project_create", {"name": "profiled", "switch": True})
        for tool in tools:
            for i in range(calls):
                await client.call_tool(tool, TOOLS[tool](i))


def main() -> None:
    """Profile and print the breakdown."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--py-spy", required=True, help="path of the py-spy binary")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--tool", action="append", choices=sorted(TOOLS), help="default: store, status, search"
    )
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--rate", type=int, default=200, help="samples per second (py-spy falls behind at 500 here)"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="aidis-profile-"))
    raw = work / "samples.txt"
    url, database = scratch_database(args.engine, args.admin_url, work)
    aidis = str(Path(sys.executable).with_name("aidis"))
    env = {
        "AIDIS_DATABASE_URL": url,
        "AIDIS_DATA_DIR": str(work),
        "AIDIS_LOG_LEVEL": "WARNING",
        "PATH": "/usr/bin:/bin",
    }
    command = [
        args.py_spy,
        "record",
        "--format",
        "raw",
        "--rate",
        str(args.rate),
        "--nonblocking",  # read the process's memory without pausing it: the calls keep their pace
        "--output",
        str(raw),
        "--",
        aidis,
        "mcp",
    ]
    try:
        asyncio.run(
            drive(
                command, env, args.calls, args.tool or ["context_store", "session_status", "context_search"]
            )
        )
    except* (ValueError, RuntimeError, OSError) as group:  # py-spy's exit message lands on the server's
        # stdout after the last call, which the client cannot parse: the calls themselves are done
        print(f"(client closed with {len(group.exceptions)} error(s) after the calls: py-spy's exit message)")
    finally:
        drop_scratch_database(args.admin_url, database)
    print_layers(
        raw,
        f"{args.engine}: {{busy}} busy samples over {args.calls} calls of each of "
        f"{args.tool or 'store, status, search'}",
    )


def scratch_database(engine: str, admin_url: str, work: Path) -> tuple[str, str | None]:
    """A URL to profile on: a SQLite file in `work`, or a new PostgreSQL database (its name returned
    too, for drop_scratch_database)."""
    if engine == "sqlite":
        return f"sqlite:///{work / 'aidis.db'}", None
    database = f"aidis_profile_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    return admin_url.rsplit("/", 1)[0] + f"/{database}", database


def drop_scratch_database(admin_url: str, database: str | None) -> None:
    """Drop what scratch_database created (nothing for SQLite)."""
    if database is not None:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def print_layers(raw: Path, header: str) -> None:
    """Attribute py-spy's raw samples to layers and print the shares (`header` may name {busy})."""
    totals: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        layer = layer_of(stack) if stack and count.isdigit() else None
        if layer is not None:
            totals[layer] += int(count)
    busy = sum(totals.values()) or 1
    print(header.format(busy=busy))
    for name, count in totals.most_common():
        print(f"  {100 * count / busy:5.1f} %  {name}")


if __name__ == "__main__":
    main()
