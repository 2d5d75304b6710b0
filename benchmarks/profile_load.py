"""Where the HTTP server's time goes under concurrent load: py-spy samples a real `aidis serve` while
the bench's load generator (its own process) keeps N connections calling `context_store` and
`session_status` in turn — the throughput row of `aidis bench` — and busy samples are attributed to
layers as `profile_calls.py` does.

    python -m venv /tmp/spy && /tmp/spy/bin/pip install py-spy
    .venv/bin/python benchmarks/profile_load.py --py-spy /tmp/spy/bin/py-spy --connections 32 --seconds 20

PostgreSQL runs create a throw-away database and drop it afterwards.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from profile_calls import drop_scratch_database, print_layers, scratch_database

from aidis.app import build_app
from aidis.bench.runner import _free_port, _process
from aidis.config import Settings


def main() -> None:
    """Load the server, sample it, print the breakdown."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--py-spy", required=True, help="path of the py-spy binary")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="aidis-profile-load-"))
    raw = work / "samples.txt"
    url, database = scratch_database(args.engine, args.admin_url, work)
    try:
        app = build_app(Settings(database_url=url, log_level="WARNING"))
        app.projects.create("bench")
        app.close()
        port = _free_port()
        server_url = f"http://127.0.0.1:{port}/mcp"
        env = {"AIDIS_DATABASE_URL": url, "AIDIS_DATA_DIR": str(work), "AIDIS_LOG_LEVEL": "WARNING"}
        env["PATH"] = "/usr/bin:/bin"
        aidis = str(Path(sys.executable).with_name("aidis"))
        with _process([aidis, "serve", "--port", str(port)], env, server_url) as server:
            generator = [sys.executable, "-m", "aidis.bench.load", server_url, "--prefix", "profile"]
            generator += ["--connections", str(args.connections), "--duration", str(args.seconds)]
            load = subprocess.Popen(
                generator,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert load.stdin is not None and load.stdout is not None
            while load.stdout.readline().strip() != "ready":
                pass
            sampler = [args.py_spy, "record", "--format", "raw", "--rate", str(args.rate), "--nonblocking"]
            sampler += ["--duration", str(int(args.seconds)), "--output", str(raw), "--pid", str(server.pid)]
            spy = subprocess.Popen(
                sampler,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            load.stdin.write(f"{time.time() + 0.5}\n")
            load.stdin.flush()
            print(load.stdout.read().strip())
            load.wait()
            spy.wait()
    finally:
        drop_scratch_database(args.admin_url, database)
    print_layers(
        raw, f"{args.engine}: {{busy}} busy samples, {args.connections} connections, {args.seconds} s"
    )


if __name__ == "__main__":
    main()
