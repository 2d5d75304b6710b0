"""How well and how fast context search finds things, per mode (keyword, semantic, hybrid), both engines.

    python benchmarks/retrieval.py [--engines sqlite,postgresql] [--scales 10000,100000] [--runs 30]

Quality: the graded set of benchmarks/retrieval_corpus.py (targets plus a few hundred distractors)
is stored through the service layer and embedded by the bundled model; each query is searched in
its project, limit 5. Reported per query kind: recall@5 (a relevant note in the first five) and MRR
(1 / rank of the first relevant note, 0 past five); for negatives, how often anything came back.
Paraphrase queries are checked to share no content word (stemmed) with their target.

Speed: the project is filled to each scale with generated notes (embedded), then every query is
searched `--runs` times per mode; p50 and p95 of the whole search call (ranking, page, snippets).
RSS of this process is reported before and after the model loads. Databases are dropped at the end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from retrieval_corpus import QUERIES, TARGETS, distractors

from aidis.app import AppContext, build_app
from aidis.bench.runner import scratch_database
from aidis.config import Settings
from aidis.enums import SearchMode
from aidis.repositories.bulk import insert_contexts
from aidis.search_syntax import STOP_WORDS, search_text
from aidis.services.caller import Caller
from aidis.services.memory.reads import ContextQuery
from aidis.services.search.snippets import _stem

PROJECT = "retrieval"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DISTRACTORS = 300


def rss_mb() -> float:
    """This process's resident memory now, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def content_stems(text: str) -> set[str]:
    """The stemmed content words of a text."""
    return {_stem(w) for w in search_text(text).split() if w not in STOP_WORDS}


def check_paraphrases() -> list[str]:
    """Paraphrase queries that share a content word with their target (the set would be dishonest)."""
    shared = []
    for kind, query, wanted in QUERIES:
        if kind == "paraphrase":
            common = content_stems(query) & set().union(*(content_stems(TARGETS[w]) for w in wanted))
            if common:
                shared.append(f"{query!r} shares {sorted(common)}")
    return shared


def store_corpus(app: AppContext) -> dict[str, str]:
    """Store the targets and distractors; returns context id → target key."""
    app.projects.create(PROJECT)
    caller = Caller("retrieval-bench")
    keys = {}
    notes = [(key, text) for key, text in TARGETS.items()] + [("", t) for t in distractors(DISTRACTORS)]
    for key, text in notes:
        stored = app.contexts.store(caller, text, project=PROJECT)
        if key:
            keys[str(stored.context.id)] = key
    return keys


def quality(app: AppContext, keys: dict[str, str]) -> dict[tuple[str, str], tuple[float, float, int]]:
    """(mode, kind) → (recall@5, MRR, queries)."""
    scores: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for mode in SearchMode:
        for kind, query, wanted in QUERIES:
            page = app.context_reads.search(None, query, ContextQuery(project=PROJECT), limit=5, mode=mode)
            if page.notice:
                raise SystemExit(f"{mode}: {page.notice}")
            found = [keys.get(str(hit.id), "") for hit in page.items]
            if kind == "negative":
                scores[(mode.value, kind)].append((1.0 if not found else 0.0, 0.0))
                continue
            ranks = [i for i, key in enumerate(found, start=1) if key in wanted]
            scores[(mode.value, kind)].append((1.0 if ranks else 0.0, 1.0 / ranks[0] if ranks else 0.0))
    return {
        key: (statistics.mean(r for r, _ in vals), statistics.mean(m for _, m in vals), len(vals))
        for key, vals in scores.items()
    }


def latency(app: AppContext, runs: int) -> dict[str, tuple[float, float]]:
    """mode → (p50 ms, p95 ms) of the whole search call over every query."""
    queries = [q for _, q, _ in QUERIES] + ["w123", "parser", "note about w77"]
    out = {}
    for mode in SearchMode:
        times = []
        for _ in range(runs):
            for query in queries:
                start = time.perf_counter()
                app.context_reads.search(None, query, ContextQuery(project=PROJECT), limit=10, mode=mode)
                times.append((time.perf_counter() - start) * 1000)
        times.sort()
        out[mode.value] = (statistics.median(times), times[int(len(times) * 0.95)])
    return out


def fill_to(app: AppContext, total: int) -> float:
    """Add generated notes to the project until it holds `total`; embed them; returns seconds taken."""
    start = time.perf_counter()
    project = app.projects.get(PROJECT)
    have = app.stats.totals()["contexts"]
    if total > have:
        with app.engine.begin() as conn:
            insert_contexts(conn, project_id=project.id, count=total - have, now=app.clock())
    app.embedder.backfill(lambda _n: None)
    return time.perf_counter() - start


def run_engine(engine: str, scales: list[int], runs: int) -> None:
    """Quality at the corpus size, then speed at each scale, on one engine."""
    with scratch_database(engine, ADMIN_URL) as url, tempfile.TemporaryDirectory() as data:
        app = build_app(Settings(data_dir=Path(data), database_url=url))
        try:
            rss_before = rss_mb()
            keys = store_corpus(app)
            app.embedder.backfill(lambda _n: None)
            rss_model = rss_mb()
            print(
                f"\n## {engine}: {len(TARGETS)} targets + {DISTRACTORS} distractors, {app.embedder.model_name}"
            )
            print(
                f"RSS: {rss_before} MB before the model, {rss_model} MB with it loaded and the corpus embedded"
            )
            table = quality(app, keys)
            kinds = ["paraphrase", "reworded", "identifier", "symbol", "duplicate"]
            print("\n| mode | " + " | ".join(f"{k} R@5 / MRR" for k in kinds) + " | negatives empty |")
            print("| --- " * (len(kinds) + 2) + "|")
            for mode in SearchMode:
                cells = [f"{table[(mode.value, k)][0]:.2f} / {table[(mode.value, k)][1]:.2f}" for k in kinds]
                empty = table[(mode.value, "negative")][0]
                print(f"| {mode.value} | " + " | ".join(cells) + f" | {empty:.2f} |")
            print(
                "\n| contexts | fill+embed s | "
                + " | ".join(f"{m.value} p50 / p95 ms" for m in SearchMode)
                + " | hybrid/keyword p50 |"
            )
            print("| --- " * (len(SearchMode) + 3) + "|")
            for scale in scales:
                took = fill_to(app, scale)
                speed = latency(app, runs)
                ratio = speed["hybrid"][0] / speed["keyword"][0]
                cells = [f"{speed[m.value][0]:.1f} / {speed[m.value][1]:.1f}" for m in SearchMode]
                print(f"| {scale:,} | {took:.0f} | " + " | ".join(cells) + f" | {ratio:.2f}x |", flush=True)
            print(f"RSS at the largest scale: {rss_mb()} MB")
        finally:
            app.close()


def main() -> None:
    """Parse arguments and run every engine."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--scales", default="10000,100000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    shared = check_paraphrases()
    if shared:
        raise SystemExit("paraphrase queries sharing words with their target:\n" + "\n".join(shared))
    for engine in args.engines.split(","):
        run_engine(engine.strip(), [int(s) for s in args.scales.split(",") if s], args.runs)


if __name__ == "__main__":
    main()
