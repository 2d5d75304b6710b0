"""Where do sessions land by themselves? Real `aidis mcp` / `aidis serve` processes in a generated tree.

    python benchmarks/attribution.py [--engine sqlite] [--engine postgresql] [--json out.json]

Prints, per case, the project reached and whether it is right; the target is every unambiguous case
right, 0 sessions in a wrong project, and every ambiguous case Unassigned with its candidates.
The databases it creates are dropped at the end.
"""

from __future__ import annotations

import argparse
import json

import anyio

from aidis.bench.attribution import run_attribution, summary


def main() -> None:
    """Run the workload on each engine and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--postgres-admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--json", dest="json_out")
    args = parser.parse_args()
    results = {}
    for engine in args.engine or ["sqlite", "postgresql"]:
        cases = anyio.run(run_attribution, engine, args.postgres_admin_url)
        results[engine] = summary(cases)
        print(f"\n{engine}")
        print("| case | transport | expected | reached | right |\n| --- | --- | --- | --- | --- |")
        for c in cases:
            expected = c.expected or ("Unassigned + candidates" if c.ambiguous else "Unassigned")
            reached = c.reached + (f" ({c.candidates} candidates)" if c.candidates else "")
            print(f"| {c.name} | {c.transport} | {expected} | {reached} | {'yes' if c.right else 'NO'} |")
        s = results[engine]
        print(
            f"unambiguous right: {s['unambiguous_right']}/{s['unambiguous']}; misfiled: {s['misfiled']}; "
            f"ambiguous Unassigned with candidates: {s['ambiguous_unassigned_with_candidates']}/{s['ambiguous']}"
        )
    if args.json_out:
        with open(args.json_out, "w") as out:
            json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
