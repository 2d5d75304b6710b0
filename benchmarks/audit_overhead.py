"""What the audit trail costs a person's search and store on a team server, next to the same calls with
auditing switched off (the floor), in the same process and run.

    python benchmarks/audit_overhead.py [--engines sqlite,postgresql] [--calls 300] [--rounds 5] [--contexts 2000]

One user holding write on one project of `--contexts` contexts; each round runs `--calls` keyword
searches and `--calls` stores acting as that user with the audit trail wired in, then the same with a
sink that drops every entry, alternating which goes first. Prints the median per-call time of each and
the overhead in percent (target: under 10 % for a search; a store's entry is written in its own
transaction, so it is reported the same way). The PostgreSQL database it creates is dropped at the end.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from aidis.app import AppContext, build_app
from aidis.bench.runner import scratch_database
from aidis.config import Settings
from aidis.enums import SearchMode, Surface
from aidis.services.base import NoAudit
from aidis.services.caller import Caller
from aidis.services.memory.reads import ContextQuery
from aidis.services.principal import Principal, acting_as

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
WORDS = [
    "deploy",
    "rollback",
    "cache",
    "retry",
    "queue",
    "billing",
    "invoice",
    "schema",
    "migration",
    "index",
    "token",
    "audit",
]


def _services(app: AppContext) -> list[object]:
    return [app.contexts, app.context_reads, app.context_edits, app.sessions, app.projects]


def _with_audit(app: AppContext, on: bool) -> None:
    sink = app.audit if on else NoAudit()
    for service in _services(app):
        service.audit = sink  # type: ignore[attr-defined]


def _per_call_ms(work: Callable[[int], object], calls: int) -> list[float]:
    samples = []
    for i in range(calls):
        started = time.perf_counter()
        work(i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def run_engine(engine: str, calls: int, rounds: int, contexts: int) -> None:
    """Measure one engine and print its rows."""
    with scratch_database(engine, ADMIN_URL) as url, tempfile.TemporaryDirectory() as data:
        app = build_app(Settings(data_dir=Path(data), database_url=url, embedding_model="off"))
        try:
            app.projects.create("payments")
            seed = Caller(connection_id="seed")
            for i in range(contexts):
                words = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(6))
                app.contexts.store(seed, f"note {i}: {words}", project="payments")
            app.team.add_user("ada")
            app.team.grant("payments", "write", user="ada")
            ada: Principal = app.team.authenticate(app.team.create_token("ada")[1], surface=Surface.MCP)
            caller = Caller(connection_id=f"u:{ada.user_id}/bench", principal=ada)
            query = ContextQuery(project="payments")

            def search(i: int) -> object:
                with acting_as(ada, "context_search"):
                    return app.context_reads.search(
                        None, WORDS[i % len(WORDS)], query, mode=SearchMode.KEYWORD
                    )

            def store(i: int) -> object:
                with acting_as(ada, "context_store"):
                    return app.contexts.store(
                        caller, f"decision {i}: {WORDS[i % len(WORDS)]}", project="payments"
                    )

            samples: dict[tuple[str, bool], list[float]] = {}
            for r in range(rounds):
                for on in (r % 2 == 0, r % 2 != 0):
                    _with_audit(app, on)
                    for name, work in (("search", search), ("store", store)):
                        samples.setdefault((name, on), []).extend(_per_call_ms(work, calls))
                    app.audit.flush()
            print(f"\n## {engine}: {contexts:,} contexts, {rounds} rounds x {calls} calls per kind")
            print("| call | audit off p50 ms | audit on p50 ms | overhead |")
            print("| --- | --- | --- | --- |")
            for name in ("search", "store"):
                off = statistics.median(samples[(name, False)])
                on_ = statistics.median(samples[(name, True)])
                print(f"| {name} | {off:.3f} | {on_:.3f} | {(on_ / off - 1) * 100:+.1f} % |", flush=True)
        finally:
            app.close()


def main() -> None:
    """Parse arguments and measure every engine."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--contexts", type=int, default=2000)
    args = parser.parse_args()
    for engine in args.engines.split(","):
        run_engine(engine.strip(), args.calls, args.rounds, args.contexts)


if __name__ == "__main__":
    main()
