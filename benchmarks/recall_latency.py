"""What prompt-time recall adds to a prompt: wall time of the real `aidis hook claude-code` process for a
`UserPromptSubmit`, with recall on against recall off, at several project sizes, with the server
running or not.

    python benchmarks/recall_latency.py [--scales 1000,10000,100000] [--runs 60] [--engine sqlite|postgresql]
                                        [--listener server,none]

`--listener server` (the default): a warm listener with the model loaded answers, as `aidis serve` does
(in this process: the same endpoint the server opens). `--listener none`: nothing runs — the first
prompt's hook starts the replayer, which answers once it is up and lingers for the next prompts (as
without a server); the first prompt is reported on its own, and the replayer is stopped at the end.

The project is filled with generated notes (embedded by the bundled model) plus one decision the prompts
paraphrase; half the prompts are about it (a block is injected the first time only, later ones find it
already recalled), half are unrelated. Runs are interleaved (on, off, on, off, …) so machine noise hits
both alike. Prints p50/p95 in ms of each and what recall added. Targets (issue 34): added p50 ≤ 150 ms,
p95 ≤ 400 ms at 10,000 contexts. The database it creates is dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from aidis.app import AppContext, build_app
from aidis.bench.runner import _aidis, scratch_database
from aidis.config import Settings
from aidis.db.types import utcnow
from aidis.replayer.listener import Listener
from aidis.replayer.recall_endpoint import RecallEndpoint, recall_answerer
from aidis.services.agents.hook_events import connection_for
from aidis.services.caller import Caller
from aidis.services.operations.demo import generate_contexts

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DECISION = "We chose PostgreSQL advisory locks to serialize migrations, so two upgrades never run at once."
PROMPTS = [
    "make sure two aidis upgrades can't run at the same time on postgres",
    "fix the typo in the README",
    "can two migrations overlap if two people upgrade together?",
    "rename the variable in the billing module",
]


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _stop_replayer(spool_dir: Path) -> None:
    """End the replayer the hooks started for this spool (its command line names the spool)."""
    subprocess.run(["pkill", "-f", str(spool_dir)], check=False)


def measure(engine: str, scale: int, runs: int, modes: list[str]) -> None:
    """Fill a project to `scale` notes, then time the hook with recall on and off, interleaved, for each
    way the listener may be there."""
    with scratch_database(engine, ADMIN_URL) as url, tempfile.TemporaryDirectory() as tmp:
        shift = [timedelta(hours=-2)]  # the decision is older than the notes the hand-over shows
        app = build_app(Settings(database_url=url, data_dir=Path(tmp)), clock=lambda: utcnow() + shift[0])
        spool = Path(tmp) / "spool" / "events.jsonl"
        try:
            project = app.projects.create("bench")
            app.contexts.store(Caller("earlier"), DECISION, project="bench")
            shift[0] = timedelta(0)
            generate_contexts(
                app.engine, project_id=project.id, count=scale, now=utcnow() - timedelta(hours=1)
            )
            app.embedder.sweep()
            spool.parent.mkdir()
            for listening in modes:
                env = {
                    "PATH": f"{Path(_aidis()).parent}:/usr/bin:/bin",
                    "HOME": tmp,
                    "AIDIS_DATABASE_URL": url,
                    "AIDIS_DATA_DIR": tmp,
                    "AIDIS_SPOOL_DIR": str(spool.parent),
                    "AIDIS_REPLAYER_LINGER_SECONDS": "0" if listening == "server" else "600",
                }
                listener = Listener(spool, lambda: None)
                endpoint = RecallEndpoint(spool, recall_answerer(app, spool, None))
                if listening == "server":
                    assert listener.acquire()
                    assert endpoint.open()
                try:
                    on, off, injected = _time_prompts(app, env, runs, listening, tmp)
                finally:
                    endpoint.close()
                    listener.close()
                    _stop_replayer(spool.parent)
                _report(engine, scale, listening, on, off, injected, runs)
        finally:
            _stop_replayer(spool.parent)
            app.close()


def _time_prompts(
    app: AppContext, env: dict[str, str], runs: int, listening: str, cwd: str
) -> tuple[list[float], list[float], int]:
    """Wall times (ms) of the real hook with recall on and off, interleaved; how many blocks came back."""
    on: list[float] = []
    off: list[float] = []
    injected = 0
    for run in range(runs):
        session_id = f"bench-{listening}-{run}"
        app.sessions.new(connection_for("claude-code", session_id), project="bench")
        payload = {
            "hook_event_name": "UserPromptSubmit",
            "session_id": session_id,
            "cwd": cwd,
            "prompt": PROMPTS[run % len(PROMPTS)],
        }
        for samples, recall in ((on, "on"), (off, "off")):
            started = time.perf_counter()
            done = subprocess.run(
                [_aidis(), "hook", "claude-code"],
                input=json.dumps(payload).encode(),
                env={**env, "AIDIS_RECALL": recall},
                capture_output=True,
                check=False,
            )
            samples.append((time.perf_counter() - started) * 1000)
            injected += recall == "on" and b"aidis-recall" in done.stdout
    return on, off, injected


def _report(
    engine: str, scale: int, listening: str, on: list[float], off: list[float], injected: int, runs: int
) -> None:
    first = on.pop(0)  # the first prompt: with no listener, the one that starts the replayer
    off.pop(0)
    added50 = statistics.median(on) - statistics.median(off)
    added95 = _pct(on, 0.95) - _pct(off, 0.95)
    print(
        f"{engine:10} {scale:>7} contexts  listener {listening:6}  first prompt {first:6.1f}  "
        f"recall on p50 {statistics.median(on):6.1f} p95 {_pct(on, 0.95):6.1f}  "
        f"off p50 {statistics.median(off):6.1f} p95 {_pct(off, 0.95):6.1f}  added p50 {added50:6.1f} "
        f"p95 {added95:6.1f} ms  ({runs} runs each, {injected} blocks injected)",
        flush=True,
    )


def main() -> None:
    """Parse arguments and measure each scale."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1000,10000,100000")
    parser.add_argument("--listener", default="server,none", help="server, none, or both (comma-separated)")
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--engine", default="sqlite", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    for scale in (int(s) for s in args.scales.split(",")):
        measure(args.engine, scale, args.runs, [m.strip() for m in args.listener.split(",")])
    sys.stdout.flush()


if __name__ == "__main__":
    main()
