"""Memory and start-up of `aidis serve` and `aidis mcp` with each embedding model, at a project size.

    python benchmarks/model_memory.py [--contexts 100000] [--models wordllama,minilm] [--runs 3]

For each model, a SQLite database is filled with `--contexts` generated notes, each with a vector of
that model's name and size (random unit vectors written directly: embedding 100,000 notes takes
minutes and the memory is the same). Then, each as its own process, `runs` times:

- `aidis serve`: seconds until /healthz answers, seconds until a first semantic search answers (the
  model and the index loaded), and the peak RSS (VmHWM) after searches.
- `aidis mcp` over stdio (the official SDK client): seconds to initialize, seconds until a first
  `context_search` answers, peak RSS.

The floor in the same run: `python -c pass`'s wall time. Prints medians. The databases are temporary
folders, removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from mcp.client.stdio import stdio_client

from aidis.app import build_app
from aidis.bench.runner import _aidis
from aidis.config import Settings
from aidis.db.types import utcnow
from aidis.embedding_spec import model_name
from aidis.repositories import context_vectors as vectors_repo
from aidis.services.operations.demo import generate_contexts
from aidis.services.search.vector_index import encode
from mcp import ClientSession, StdioServerParameters

DIMS = {"wordllama": 256, "minilm": 384}
BATCH = 5_000


def fill(data: Path, model: str, contexts: int) -> None:
    """A database of `contexts` notes in one project, each with a vector of `model`."""
    app = build_app(Settings(data_dir=data, embedding_model=model, log_level="WARNING"))
    try:
        project = app.projects.create("memory")
        generate_contexts(app.engine, project_id=project.id, count=contexts, now=utcnow())
        name, dim = model_name(model), DIMS[model]
        assert name is not None
        rng = np.random.default_rng(1)
        while True:
            with app.engine.connect() as conn:
                todo = vectors_repo.missing(conn, name, limit=BATCH)
            if not todo:
                break
            rows = rng.standard_normal((len(todo), dim)).astype(np.float32)
            rows /= np.linalg.norm(rows, axis=1, keepdims=True)
            with app.engine.begin() as conn:
                vectors_repo.write(
                    conn,
                    list(zip(todo, (encode(r) for r in rows), strict=True)),
                    model=name,
                    dim=dim,
                    now=utcnow(),
                )
    finally:
        app.close()


def peak_mb(pid: int) -> float:
    """A process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _child(word: str) -> int:
    """The pid of this process's child whose command line ends with `word` (the SDK started it)."""
    me = str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if parent == me and argv[-2:-1] == [word.encode()]:
            return int(entry.name)
    raise SystemExit(f"no child process running {word}")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_once(env: dict[str, str]) -> tuple[float, float, float]:
    """(seconds to /healthz, seconds to a first semantic search, peak MB) of one `aidis serve`."""
    port = _port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [_aidis(), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.02)
        healthy = time.perf_counter() - started
        answer = httpx.get(
            f"{base}/api/v1/contexts",
            params={"q": "note about w77", "project": "memory", "mode": "semantic"},
            timeout=120,
        )
        searched = time.perf_counter() - started
        assert answer.status_code == 200, answer.text
        for query in ("parser", "w123", "the importer"):
            httpx.get(f"{base}/api/v1/contexts", params={"q": query, "project": "memory"}, timeout=60)
        return healthy, searched, peak_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def _mcp(env: dict[str, str]) -> tuple[float, float, float]:
    started = time.perf_counter()
    params = StdioServerParameters(command=_aidis(), args=["mcp"], env=env)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        ready = time.perf_counter() - started
        await session.call_tool("project_switch", {"project": "memory"})
        await session.call_tool("context_search", {"query": "note about w77", "mode": "semantic"})
        searched = time.perf_counter() - started
        pid = _child("mcp")
        return ready, searched, peak_mb(pid)


def floor_seconds() -> float:
    """`python -c pass` wall time: the machine's floor for starting a process."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def main() -> None:
    """Fill a database per model, then measure each process kind."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contexts", type=int, default=100_000)
    parser.add_argument("--models", default="wordllama,minilm")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    floor = statistics.median(floor_seconds() for _ in range(5))
    print(
        f"floor: python -c pass {floor * 1000:.0f} ms (median of 5); {args.contexts:,} contexts; {args.runs} runs each"
    )
    print(
        "| model | serve: healthy s | serve: first search s | serve peak MB | mcp: ready s | mcp: first search s | mcp peak MB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for model in args.models.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp)
            fill(data, model, args.contexts)
            env = {
                **os.environ,
                "AIDIS_DATA_DIR": str(data),
                "AIDIS_EMBEDDING_MODEL": model,
                "AIDIS_LOG_LEVEL": "WARNING",
            }
            serve = [serve_once(env) for _ in range(args.runs)]
            mcp = [asyncio.run(_mcp(env)) for _ in range(args.runs)]
            cells = [statistics.median(col) for col in zip(*serve, strict=True)] + [
                statistics.median(col) for col in zip(*mcp, strict=True)
            ]
            print(
                f"| {model} | {cells[0]:.2f} | {cells[1]:.2f} | {cells[2]:.0f} | {cells[3]:.2f} | {cells[4]:.2f} | {cells[5]:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
