"""Run the benchmark: real `aidis mcp` / `aidis serve` processes driven by the official SDK client."""

from __future__ import annotations

import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import psycopg
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy.engine import make_url

from aidis.app import build_app
from aidis.bench.latency import Latency, latency_row, time_against_floor, time_tool
from aidis.config import Settings
from aidis.services.operations.demo import generate_contexts
from mcp import Client

Progress = Callable[[str], None]


@dataclass
class BenchConfig:
    """What to measure, and how much."""

    engines: list[str] = field(default_factory=lambda: ["sqlite", "postgresql"])
    calls: int = 300
    context_sizes: list[int] = field(default_factory=lambda: [10_000, 100_000])
    concurrency: list[int] = field(default_factory=lambda: [1, 8, 32])
    duration: float = 5.0
    workers: int = 2  # also measure `aidis serve --workers N` at the highest concurrency (1: skip)
    postgres_admin_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"

    @classmethod
    def quick(cls, engines: list[str], postgres_admin_url: str) -> BenchConfig:
        """A seconds-long run that exercises every step (for CI and a first look)."""
        return cls(
            engines,
            calls=15,
            context_sizes=[200, 1_000],
            concurrency=[1, 4],
            duration=0.5,
            workers=1,
            postgres_admin_url=postgres_admin_url,
        )


@dataclass
class Throughput:
    """Calls per second with N concurrent HTTP MCP connections to one server set-up."""

    engine: str
    connections: int
    calls: int
    errors: int
    seconds: float
    calls_per_s: float
    server: str = "aidis serve"
    ratio_to_floor: float | None = None


@dataclass
class BenchReport:
    """Everything measured."""

    latency: list[Latency] = field(default_factory=list)
    throughput: list[Throughput] = field(default_factory=list)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    startup_ms: dict[str, float] = field(default_factory=dict)  # process start → initialize answered, median
    tools_list_chars: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _aidis() -> str:
    return str(Path(sys.executable).parent / "aidis")


@contextmanager
def _process(args: list[str], env: dict[str, str], ready_url: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603 — our own executables
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{' '.join(args)} exited with {process.returncode}")
            with suppress(httpx.TransportError):
                if httpx.post(ready_url, json={}, timeout=1).status_code < 500:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(args)} did not start")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def peak_rss_mb(pid: int) -> float:
    """The process's high-water resident set (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


@contextmanager
def scratch_database(engine: str, admin_url: str) -> Iterator[str]:
    """A database URL for one benchmark: a temporary SQLite file, or a PostgreSQL database created
    under `admin_url` and dropped (FORCE) afterwards, so no generated rows are left behind."""
    if engine == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    name = f"aidis_bench_{uuid.uuid4().hex[:8]}"
    admin = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


LOAD_PROCESSES = 2  # load-generator processes per throughput run (one per core here)


def _http_client(url: str, connection: str) -> Client:
    transport = streamable_http_client(
        url, http_client=httpx2.AsyncClient(headers={"X-AIDIS-Connection": connection}, timeout=60)
    )
    return Client(transport)


@asynccontextmanager
async def _clients(stack: AsyncExitStack, *clients: Client) -> AsyncIterator[list[Client]]:
    yield [await stack.enter_async_context(client) for client in clients]


async def _throughput(
    engine: str,
    url: str,
    connections: int,
    duration: float,
    server: str = "aidis serve",
    processes: int = LOAD_PROCESSES,
) -> Throughput:
    """Calls/s of one server under `connections` HTTP connections, driven by the load generator in
    `processes` processes of their own (aidis.bench.load), all counting over one common window."""
    floor = server == "no-op floor"
    shares = [connections // processes + (1 if i < connections % processes else 0) for i in range(processes)]
    procs = []
    for index, share in enumerate(s for s in shares if s):
        args = [sys.executable, "-m", "aidis.bench.load", url, "--connections", str(share)]
        args += ["--prefix", f"load-{server}-{connections}-{index}".replace(" ", "_")]
        args += ["--duration", str(duration)] + (["--floor"] if floor else [])
        procs.append(await anyio.open_process(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE))
    results: list[dict[str, Any]] = []
    try:
        for proc in procs:  # every generator connected (and its server warmed up) before the window
            assert proc.stdout is not None
            line = await proc.stdout.receive()
            if not line.startswith(b"ready"):
                raise RuntimeError(f"load generator did not start: {line[:200]!r}")
        opens = f"{time.time() + 0.2}\n".encode()
        for proc in procs:
            assert proc.stdin is not None
            await proc.stdin.send(opens)
        for proc in procs:
            assert proc.stdout is not None
            out = b""
            async for chunk in proc.stdout:
                out += chunk
            await proc.wait()
            results.append(json.loads(out.decode().strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
    calls = sum(int(r["calls"]) for r in results)
    errors = sum(int(r["errors"]) for r in results)
    return Throughput(
        engine, connections, calls, errors, round(duration, 2), round(calls / duration, 1), server
    )


async def run_bench(config: BenchConfig, progress: Progress = lambda _: None) -> BenchReport:
    """Measure every engine in `config`; see BenchConfig for the knobs."""
    # The SDK client warns on every call of a tool the server does not list (session_new is reached
    # by name, as agents reach it through aidis_tool); said once here instead of 2,000 times.
    logging.getLogger("client").setLevel(logging.ERROR)
    report = BenchReport()
    for engine in config.engines:
        with scratch_database(engine, config.postgres_admin_url) as url:
            await _bench_engine(engine, url, config, report, progress)
    return report


async def _startup_ms(params: StdioServerParameters, runs: int) -> float:
    """Median wall time from starting a stdio server to its answer to `initialize` (the agent's wait)."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        async with Client(params):
            samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 1)


async def _bench_engine(
    engine: str, url: str, config: BenchConfig, report: BenchReport, progress: Progress
) -> None:
    app = build_app(Settings(database_url=url, log_level="WARNING"))
    project = app.projects.create("bench")
    # stdio servers start in a folder of no repository, so their sessions stay in the project the bench
    # switches to (started in this checkout, every search would measure its small project instead of
    # the seeded one); `session_new` names a repository as its workspace, as an agent's would, so its
    # timing includes attributing the session, and the searches switch back to `bench` first.
    neutral = tempfile.mkdtemp(prefix="aidis-bench-cwd-")
    workspace = os.path.join(neutral, "repository")
    subprocess.run(["git", "init", "-q", workspace], check=True, capture_output=True)  # noqa: S603, S607
    env = {**os.environ, "AIDIS_DATABASE_URL": url, "AIDIS_LOG_LEVEL": "WARNING", "AIDIS_AGENT_TYPE": "bench"}
    aidis_port, noop_port = _free_port(), _free_port()
    aidis_url, noop_url = f"http://127.0.0.1:{aidis_port}/mcp", f"http://127.0.0.1:{noop_port}/mcp"
    calls = config.calls
    seeded = 0
    with (
        _process([_aidis(), "serve", "--port", str(aidis_port)], env, aidis_url) as server,
        _process([sys.executable, "-m", "aidis.bench.noop", "http", str(noop_port)], env, noop_url),
    ):
        async with (
            AsyncExitStack() as stack,
            _clients(
                stack,
                Client(
                    StdioServerParameters(
                        command=sys.executable, args=["-m", "aidis.bench.noop"], env=env, cwd=neutral
                    )
                ),
                Client(StdioServerParameters(command=_aidis(), args=["mcp"], env=env, cwd=neutral)),
                _http_client(noop_url, "floor"),
                _http_client(aidis_url, "bench-http"),
            ) as (noop_stdio, aidis_stdio, noop_http, aidis_http),
        ):
            listed = (await aidis_stdio.list_tools()).tools
            report.tools_list_chars = len(
                json.dumps([t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in listed])
            )
            progress(f"{engine}: start-up of a stdio server (database already migrated)")
            runs = 3 if calls < 50 else 7
            noop_params = StdioServerParameters(
                command=sys.executable, args=["-m", "aidis.bench.noop"], env=env, cwd=neutral
            )
            report.startup_ms["no-op server"] = await _startup_ms(noop_params, runs)
            report.startup_ms[f"aidis mcp ({engine})"] = await _startup_ms(
                StdioServerParameters(command=_aidis(), args=["mcp"], env=env, cwd=neutral), runs
            )
            floors: dict[str, float] = {}
            for transport, noop, client in (
                ("stdio", noop_stdio, aidis_stdio),
                ("http", noop_http, aidis_http),
            ):
                progress(f"{engine}/{transport}: no-op floor")
                samples = await time_tool(noop, "noop", lambda i: {}, calls)
                floors[transport] = statistics.median(samples)
                report.latency.append(
                    latency_row(engine, transport, "noop (floor)", samples, floors[transport])
                )
                await client.call_tool("project_switch", {"project": "bench"})
                for tool, make in (
                    ("session_status", lambda i: {}),
                    ("context_store", lambda i: {"content": f"decided to cache the parser, note {i}"}),
                    ("session_new", lambda i: {"title": f"bench {i}", "workspace": workspace}),
                ):
                    progress(f"{engine}/{transport}: {tool}")
                    samples, floor_ms = await time_against_floor(noop, client, tool, make, calls)
                    report.latency.append(latency_row(engine, transport, tool, samples, floor_ms))
            for size in config.context_sizes:
                progress(f"{engine}: seeding {size} contexts")
                generate_contexts(app.engine, project_id=project.id, count=size - seeded, now=app.clock())
                seeded = size
                # every context has its vector before a search is timed, as when contexts arrive one by
                # one (otherwise the servers embed the seed in the background during the timing, and
                # the semantic half of each search sees only part of it)
                progress(f"{engine}: embedding {size} contexts")
                app.embedder.backfill(lambda _count: None)
                for transport, noop, client in (
                    ("stdio", noop_stdio, aidis_stdio),
                    ("http", noop_http, aidis_http),
                ):
                    await client.call_tool("project_switch", {"project": "bench"})
                    progress(f"{engine}/{transport}: context_search at {size}")
                    samples, floor_ms = await time_against_floor(
                        noop,
                        client,
                        "context_search",
                        lambda i: {"query": f"w{i % 1000}", "limit": 10},
                        calls,
                    )
                    report.latency.append(
                        latency_row(engine, transport, "context_search", samples, floor_ms, size)
                    )
                    progress(f"{engine}/{transport}: context_search matching every context at {size}")
                    samples, floor_ms = await time_against_floor(
                        noop,
                        client,
                        "context_search",
                        lambda i: {"query": "benchmark note", "limit": 10},
                        calls,
                    )
                    report.latency.append(
                        latency_row(engine, transport, "context_search broad", samples, floor_ms, size)
                    )
        for connections in config.concurrency:
            progress(f"{engine}: {connections} concurrent HTTP connections")
            floor = await _throughput(engine, noop_url, connections, config.duration, "no-op floor")
            measured = await _throughput(engine, aidis_url, connections, config.duration)
            measured.ratio_to_floor = (
                round(measured.calls_per_s / floor.calls_per_s, 2) if floor.calls_per_s else None
            )
            report.throughput += [floor, measured]
        report.peak_rss_mb[f"aidis serve ({engine})"] = peak_rss_mb(server.pid)
    if config.workers > 1 and config.concurrency:
        connections = max(config.concurrency)
        workers_port = _free_port()
        workers_url = f"http://127.0.0.1:{workers_port}/mcp"
        args = [_aidis(), "serve", "--port", str(workers_port), "--workers", str(config.workers)]
        with _process(args, env, workers_url):
            progress(f"{engine}: {connections} connections, {config.workers} workers")
            label = f"aidis serve --workers {config.workers}"
            measured = await _throughput(engine, workers_url, connections, config.duration, label)
        floor_rate = next(
            (
                t.calls_per_s
                for t in report.throughput
                if t.engine == engine and t.server == "no-op floor" and t.connections == connections
            ),
            None,
        )
        measured.ratio_to_floor = round(measured.calls_per_s / floor_rate, 2) if floor_rate else None
        report.throughput.append(measured)
    app.close()
    shutil.rmtree(neutral)
