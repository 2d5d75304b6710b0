"""Wall time of one `aidis hook claude-code` process, next to a bare interpreter on the same machine.

    python benchmarks/hook_latency.py [--runs 200] [--engine sqlite|postgresql] [--agent claude-code|codex|gemini-cli]

Runs the hook the way the agent does (a new process per event, JSON on stdin) for a prompt/tool/stop
mix and, separately, SessionStart (which waits for the database to print the
start context). Prints p50/p95 in ms and the ratio to `python -c pass`. Target: p50 under 150 ms
and under 3x the bare interpreter. The database it creates is dropped at the end. The prompt events
here run with AIDIS_RECALL=off; what prompt-time recall adds to them, at 1k / 10k / 100k notes and with
or without a server, is benchmarks/recall_latency.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aidis.bench.runner import _aidis, scratch_database


def _time(argv: list[str], payload: bytes, env: dict[str, str], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, input=payload, env=env, capture_output=True, check=False)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


EVENTS = {
    "claude-code": {"prompt": "UserPromptSubmit", "tool": "PostToolUse", "stop": "Stop", "shell": "Bash"},
    "codex": {"prompt": "UserPromptSubmit", "tool": "PostToolUse", "stop": "Stop", "shell": "Bash"},
    "gemini-cli": {
        "prompt": "BeforeAgent",
        "tool": "AfterTool",
        "stop": "AfterAgent",
        "shell": "run_shell_command",
    },
}


def _row(name: str, samples: list[float], floor: float | None) -> dict[str, float | str]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return {
        "what": name,
        "p50_ms": round(p50, 1),
        "p95_ms": round(p95, 1),
        "x_bare": round(p50 / floor, 2) if floor else 1.0,
    }


def main() -> None:
    """Measure and print the table (and JSON with --json)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--engine", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--postgres-admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--agent", default="claude-code", choices=sorted(EVENTS))
    parser.add_argument("--json", dest="json_out")
    args = parser.parse_args()
    words = EVENTS[args.agent]
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.engine, args.postgres_admin_url) as url:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": tmp,
            "AIDIS_DATABASE_URL": url,
            "AIDIS_DATA_DIR": tmp,
            "AIDIS_RECALL": "off",  # recall has its own benchmark (recall_latency.py)
        }
        subprocess.run([_aidis(), "db", "upgrade"], env=env, capture_output=True, check=True)
        bare = _time([sys.executable, "-c", "pass"], b"", env, args.runs)
        floor = statistics.median(bare)
        hook = [_aidis(), "hook", args.agent]
        events = []
        for n in range(args.runs):  # a prompt, a tool call, a stop, as an agent's turn sends them
            name = (words["prompt"], words["tool"], words["stop"])[n % 3]
            payload: dict[str, object] = {
                "hook_event_name": name,
                "session_id": "bench",
                "cwd": tmp,
                "prompt": "hi",
            }
            if name == words["tool"]:
                payload |= {
                    "tool_name": words["shell"],
                    "tool_input": {"command": "pytest -q"},
                    "tool_response": "3 passed in 0.1s",
                }
            events.append(json.dumps(payload).encode())
        spool = Path(tmp, "spool", "hooks.jsonl")

        def drained() -> None:  # a person types a prompt every few seconds: the replayer is idle by then
            deadline = time.monotonic() + 10
            while spool.exists() and spool.stat().st_size and time.monotonic() < deadline:
                time.sleep(0.02)

        spaced = []
        for payload in events:
            drained()
            spaced += _time(hook, payload, env, 1)
        burst = []
        for payload in events:  # back to back: the replayer competes for the CPU
            burst += _time(hook, payload, env, 1)
        drained()
        repo = Path(tmp, "code", "widgets")
        repo.mkdir(parents=True)
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        subprocess.run(
            ["git", "-C", str(repo), "remote", "add", "origin", "git@github.com:acme/widgets.git"], check=True
        )
        for n in range(3):  # earlier sessions of the project, so a new one is handed something
            sid = f"earlier-{n}"
            for payload in (
                {"hook_event_name": "SessionStart", "session_id": sid, "cwd": str(repo), "source": "startup"},
                {"hook_event_name": words["prompt"], "session_id": sid, "cwd": str(repo), "prompt": "fix it"},
                {
                    "hook_event_name": words["tool"],
                    "session_id": sid,
                    "cwd": str(repo),
                    "tool_name": words["shell"],
                    "tool_input": {"command": "pytest -q"},
                    "tool_response": f"{n} failed, 3 passed in 0.2s",
                },
                {"hook_event_name": "SessionEnd", "session_id": sid, "cwd": str(repo), "reason": "logout"},
            ):
                _time(hook, json.dumps(payload).encode(), env, 1)
        drained()
        sample = {
            "hook_event_name": "SessionStart",
            "session_id": "sample",
            "cwd": str(repo),
            "source": "startup",
        }
        told = subprocess.run(
            hook, input=json.dumps(sample).encode(), env=env, capture_output=True, check=False
        )
        context = json.loads(told.stdout)["hookSpecificOutput"]["additionalContext"] if told.stdout else ""
        print(f"SessionStart hands over {len(context)} characters, {context.count('SES-')} session ids")
        drained()
        starts = []
        for n in range(max(5, args.runs // 10)):
            start = {
                "hook_event_name": "SessionStart",
                "session_id": f"new-{n}",
                "cwd": str(repo),
                "source": "startup",
            }
            starts += _time(hook, json.dumps(start).encode(), env, 1)
            drained()
        rows = [
            _row("python -c pass (bare interpreter)", bare, floor),
            _row(f"aidis hook {args.agent} (prompt/tool/stop, spaced)", spaced, floor),
            _row(f"aidis hook {args.agent} (prompt/tool/stop, back to back)", burst, floor),
            _row(f"aidis hook {args.agent} (SessionStart, hand-over of 3 sessions)", starts, floor),
        ]
        left = Path(tmp, "spool", "hooks.jsonl")
        deadline = time.monotonic() + 60
        while left.exists() and left.stat().st_size and time.monotonic() < deadline:
            time.sleep(0.2)  # let the detached replayers finish before the database is dropped
    print(f"engine {args.engine}, {args.runs} runs")
    print("| what | p50 ms | p95 ms | x bare |\n| --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row['what']} | {row['p50_ms']} | {row['p95_ms']} | {row['x_bare']} |")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
