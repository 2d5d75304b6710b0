"""What AIDIS costs an agent, next to the lightest peers: `claude -p hello` wall time and the tool bytes
every model request carries, with the real Claude Code run offline.

    python benchmarks/agent_cost.py [--runs 7] [--baseline REV]

Configurations, each in its own HOME, measured interleaved (run i of every configuration, then run
i+1, so the machine's drift hits all alike): no MCP server and no hooks; the official MCP memory server
(Node); a no-op server on the same Python MCP SDK; AIDIS (`aidis setup claude-code`: the stdio server
and the lifecycle hooks, holding three earlier sessions so SessionStart hands over context);
`--baseline REV` adds AIDIS at an earlier commit. Prints the median wall time, its excess over no
server, and the bytes of the configuration's tool definitions in the model's request, next to the
targets: AIDIS ≤ none + 0.30 s and not slower than the no-op Python server; tools ≤ 6 kB.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import claude_runs
from baseline import baseline_aidis

TARGET_EXCESS_S = 0.30
TARGET_TOOL_BYTES = 6_000


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", help="also measure AIDIS at this git revision")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aidis-agent-cost-") as tmp, baseline_aidis(args.baseline) as old:
        root = Path(tmp)
        configs = {name: claude_runs.prepare(name, root) for name in claude_runs.CONFIGS}
        if old is not None:
            configs[f"aidis@{args.baseline}"] = claude_runs.prepare("aidis", root / "baseline", aidis=old)
        for name, prepared in configs.items():
            if name.startswith("aidis"):
                claude_runs.seed_history(prepared)
            claude_runs.run_claude(prepared)  # warm: first start caches (npm, bytecode, the database)
        walls: dict[str, list[float]] = {name: [] for name in configs}
        tool_bytes: dict[str, int] = {}
        failures: dict[str, int] = dict.fromkeys(configs, 0)
        for _ in range(args.runs):
            for name, prepared in configs.items():
                run = claude_runs.run_claude(prepared)
                walls[name].append(run.seconds)
                failures[name] += run.returncode != 0
                tool_bytes[name] = run.server_tool_bytes()
    none = statistics.median(walls["none"])
    print(f"`claude -p hello`, median of {args.runs} interleaved runs per configuration")
    print("| configuration | wall | over none | tool bytes per request |")
    print("| --- | --- | --- | --- |")
    for name, samples in walls.items():
        wall = statistics.median(samples)
        failed = f" ({failures[name]} failed)" if failures[name] else ""
        excess = "–" if name == "none" else f"+{wall - none:.2f} s"
        print(f"| {name}{failed} | {wall:.2f} s | {excess} | {tool_bytes.get(name, 0):,} |")
    aidis = statistics.median(walls["aidis"]) - none
    noop = statistics.median(walls["noop"]) - none
    print(
        f"targets: AIDIS +{aidis:.2f} s ≤ +{TARGET_EXCESS_S:.2f} s: {'met' if aidis <= TARGET_EXCESS_S else 'MISSED'}; "
        f"not slower than the no-op Python server (+{noop:.2f} s): {'met' if aidis <= noop else 'MISSED'}; "
        f"tools {tool_bytes.get('aidis', 0):,} B ≤ {TARGET_TOOL_BYTES:,} B: "
        f"{'met' if tool_bytes.get('aidis', 0) <= TARGET_TOOL_BYTES else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
