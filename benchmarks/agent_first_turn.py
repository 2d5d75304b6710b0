"""Are a server's tools in the agent's first turn when several agents start at once?

    python benchmarks/agent_first_turn.py [--counts 1,4,8] [--baseline REV]

Starts N real Claude Code processes together (`claude -p hello`, each with its own HOME and scripted
model API, all offline), for AIDIS (`aidis setup claude-code`), a no-op server on the same Python MCP
SDK and the official MCP memory server (Node), and prints in how many the model's first request
already carried that server's tools. Claude Code gives its MCP servers about two seconds, then sends
the first request without the late ones' tools. `--baseline REV` adds AIDIS at an earlier commit (a git
worktree, run from its sources). Target: AIDIS 8/8 at N = 8 on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import claude_runs
from baseline import baseline_aidis


def main() -> None:
    """Run every configuration at every N and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", default="1,4,8")
    parser.add_argument("--baseline", help="also measure AIDIS at this git revision")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    print(f"{os.cpu_count()} CPUs; Claude Code {claude_runs.claude_binary().split('claude-code-')[0]}…")
    with tempfile.TemporaryDirectory(prefix="aidis-first-turn-") as tmp, baseline_aidis(args.baseline) as old:
        root = Path(tmp)
        configs = {
            "aidis": claude_runs.prepare("aidis", root),
            "noop": claude_runs.prepare("noop", root),
            "memory": claude_runs.prepare("memory", root),
        }
        if old is not None:
            configs[f"aidis@{args.baseline}"] = claude_runs.prepare("aidis", root / "baseline", aidis=old)
        claude_runs.seed_history(configs["aidis"])
        header = "| N at once | " + " | ".join(configs) + " |"
        print(header)
        print("|" + " --- |" * (len(configs) + 1))
        for count in counts:
            cells = []
            for prepared in configs.values():
                runs = claude_runs.run_together(prepared, count)
                carried = sum(run.server_tools_in_first_turn() for run in runs)
                failed = sum(run.returncode != 0 for run in runs)
                slowest = max(run.seconds for run in runs)
                cells.append(f"{carried}/{count} ({slowest:.1f} s{f', {failed} failed' if failed else ''})")
            print(f"| {count} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
