"""Import throughput against ccusage, on one generated Claude Code history, in one run.

    python benchmarks/history_import.py [--sessions 5000] [--mb 1024] [--engine sqlite|postgresql]

Writes a history of `--sessions` sessions over several project folders (some that exist, most that do
not), padded with tool output to about `--mb` MB, then times, each as its own process with its peak RSS
(wait4): `ccusage claude daily --json --offline` (reading every file), the first
`aidis import-history claude-code` (which also writes sessions, activity and usage rows), a second
import of the same history (incremental: nothing new), and `aidis usage daily --json` (what a ccusage
user asks every day, answered from the database). Targets (issue 33): first import ≤ 3× ccusage's read
at ≤ 200 MB peak RSS; incremental ≤ 10 % of the first; `usage daily` ≥ 10× faster than ccusage. The
history and the database it creates are removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aidis.bench.runner import _aidis, scratch_database

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001", "claude-opus-4-5-20251101")


def _line(entry: dict[str, object]) -> str:
    return json.dumps(entry, separators=(",", ":")) + "\n"


def write_history(root: Path, sessions: int, megabytes: int, seed: int = 5) -> int:
    """Generate the history; returns its size in bytes."""
    rng = random.Random(seed)
    per_session = megabytes * 1024 * 1024 // sessions
    start = datetime(2026, 9, 1, 8, tzinfo=UTC)
    size = 0
    existing = [root.parent / "workspaces" / f"repo-{i}" for i in range(5)]
    for folder in existing:
        folder.mkdir(parents=True, exist_ok=True)
    for n in range(sessions):
        cwd = str(existing[n % 5]) if n % 4 == 0 else f"/gone/project-{n % 40}"
        folder = root / "projects" / cwd.replace("/", "-")
        folder.mkdir(parents=True, exist_ok=True)
        sid = str(uuid.UUID(int=rng.getrandbits(128)))
        at = start + timedelta(minutes=n * 29)
        lines = [
            _line(
                {
                    "type": "user",
                    "cwd": cwd,
                    "sessionId": sid,
                    "uuid": str(uuid.uuid4()),
                    "timestamp": at.isoformat(),
                    "message": {"role": "user", "content": f"task {n}: refactor the billing module"},
                }
            )
        ]
        written = len(lines[0])
        turn = 0
        while written < per_session:
            turn += 1
            at += timedelta(seconds=rng.randint(5, 90))
            tool_id = f"toolu_{n}_{turn}"
            usage = {
                "input_tokens": rng.randint(1, 3000),
                "output_tokens": rng.randint(1, 1500),
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": rng.randint(0, 60000),
                "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
            }
            assistant = {
                "type": "assistant",
                "cwd": cwd,
                "sessionId": sid,
                "uuid": str(uuid.uuid4()),
                "timestamp": at.isoformat(),
                "requestId": f"req_{n}_{turn}",
                "message": {
                    "id": f"msg_{n}_{turn}",
                    "model": MODELS[turn % 3],
                    "role": "assistant",
                    "content": [
                        {
                            "type": "tool_use",
                            "id": tool_id,
                            "name": "Read",
                            "input": {"file_path": f"{cwd}/src/module_{turn % 50}.py"},
                        }
                    ],
                    "usage": usage,
                },
            }
            output = "x = 1  # padding that stands for a file's text\n" * rng.randint(20, 120)
            result = {
                "type": "user",
                "cwd": cwd,
                "sessionId": sid,
                "uuid": str(uuid.uuid4()),
                "timestamp": at.isoformat(),
                "toolUseResult": {"type": "text"},
                "message": {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": output}],
                },
            }
            pair = _line(assistant) + _line(result)
            lines.append(pair)
            written += len(pair)
        path = folder / f"{sid}.jsonl"
        path.write_text("".join(lines))
        size += written
    return size


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float, bytes]:
    """Wall seconds, peak RSS (MB) of this child alone, and its output."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{argv[:3]} exited with {process.returncode}")
    return seconds, usage.ru_maxrss / 1024, out


def main() -> None:
    """See the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=5000)
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("AIDIS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--ccusage", default=str(ROOT / ".agents" / "node_modules" / ".bin" / "ccusage"))
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="aidis-history-bench-"))
    try:
        config = scratch / "claude"
        began = time.perf_counter()
        size = write_history(config, args.sessions, args.mb)
        print(
            f"history: {args.sessions} sessions, {size / 1e6:.0f} MB, written in {time.perf_counter() - began:.1f} s"
        )
        env = {
            **os.environ,
            "HOME": str(scratch),
            "CLAUDE_CONFIG_DIR": str(config),
            "NO_COLOR": "1",
            "LOG_LEVEL": "0",
        }
        ccusage_s, ccusage_rss, ccusage_out = _run(
            [args.ccusage, "claude", "daily", "--json", "--offline", "--timezone", "UTC"], env
        )
        with scratch_database(args.engine, args.admin_url) as url:
            env = {
                **env,
                "AIDIS_DATABASE_URL": url,
                "AIDIS_DATA_DIR": str(scratch / "data"),
                "AIDIS_LOG_LEVEL": "ERROR",
            }
            _run([_aidis(), "db", "upgrade"], env)
            command = [_aidis(), "import-history", "claude-code", "--path", str(config), "--json"]
            first_s, first_rss, first_out = _run(command, env)
            again_s, again_rss, again_out = _run(command, env)
            daily_s, daily_rss, daily_out = _run(
                [_aidis(), "usage", "daily", "--json", "--timezone", "UTC"], env
            )
        theirs = json.loads(ccusage_out)["totals"]
        ours = json.loads(daily_out)["total"]
        same = (theirs["inputTokens"], theirs["outputTokens"], theirs["cacheReadTokens"]) == (
            ours["input_tokens"],
            ours["output_tokens"],
            ours["cache_read_tokens"],
        )
        report = json.loads(first_out)
        print(
            f"imported: {report['created']} sessions, {report['tokens']:,} tokens; "
            f"second run: {json.loads(again_out)['created']} created, {json.loads(again_out)['unchanged']} unchanged; "
            f"totals equal to ccusage's: {same}"
        )
        rows = [
            ("ccusage claude daily (reads every file)", ccusage_s, ccusage_rss, "1.00x"),
            (
                "aidis import-history, first run",
                first_s,
                first_rss,
                f"{first_s / ccusage_s:.2f}x ccusage (target <= 3x, <= 200 MB)",
            ),
            (
                "aidis import-history, again (incremental)",
                again_s,
                again_rss,
                f"{again_s / first_s:.1%} of the first (target <= 10%)",
            ),
            (
                "aidis usage daily (from the database)",
                daily_s,
                daily_rss,
                f"{ccusage_s / daily_s:.1f}x faster than ccusage (target >= 10x)",
            ),
        ]
        print(f"{'what':44} {'seconds':>9} {'peak MB':>8}  ratio")
        for name, seconds, rss, ratio in rows:
            print(f"{name:44} {seconds:9.2f} {rss:8.0f}  {ratio}")
        print(
            f"(one run each on {os.cpu_count()} cores; this process's own peak: "
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)"
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
