"""How well and how fast context search finds things, per mode (keyword, semantic, hybrid), both engines.

    python benchmarks/retrieval.py [--engines sqlite,postgresql] [--scales 10000,100000] [--runs 30]
                                   [--model minilm|wordllama|...]

Quality: the graded set of benchmarks/retrieval_corpus.py (targets plus a few hundred distractors)
is stored through the service layer and embedded by the model; each query is searched in its
project, limit 5. Reported per query kind: recall@1, recall@3, recall@5 (a relevant note in the
first one, three, five) and MRR (1 / rank of the first relevant note, 0 past five); for negatives,
how often nothing came back. Prompt-shaped queries (benchmarks/retrieval_prompts.py: tasks, as
prompt-time recall sees them) are searched too, and also put through recall's own relevance test
(the model's recall floor, at most 3 notes): how often the answer is recalled, how often an unrelated
prompt recalls nothing. Every table is given for the tuned queries and for a held-out split that was
never used to choose anything. Paraphrase queries are checked to share no content word (stemmed)
with their target.

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
from retrieval_prompts import HELD_OUT, PROMPTS

from aidis.app import AppContext, build_app
from aidis.bench.runner import scratch_database
from aidis.config import Settings
from aidis.enums import SearchMode
from aidis.repositories.bulk import insert_contexts
from aidis.repositories.contexts import ContextFilter
from aidis.search_syntax import STOP_WORDS, parse_query, search_text
from aidis.services.caller import Caller
from aidis.services.memory.reads import ContextQuery
from aidis.services.search.snippets import _stem

PROJECT = "retrieval"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DISTRACTORS = 300
SPLITS = {"tuned": QUERIES + PROMPTS, "held-out": HELD_OUT}
KINDS = ["paraphrase", "reworded", "identifier", "symbol", "duplicate", "prompt"]
EMPTY_KINDS = ["negative", "prompt-negative"]
RECALL_ITEMS = 3


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
    for kind, query, wanted in QUERIES + HELD_OUT:
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


Scores = dict[tuple[str, str], tuple[float, ...]]


def _score(kind: str, found: list[str], wanted: list[str]) -> tuple[float, ...]:
    """(R@1, R@3, R@5, MRR) of one answer; for an empty-kind query, (1 if nothing came back,)."""
    if kind in EMPTY_KINDS:
        return (1.0 if not found else 0.0,)
    ranks = [i for i, key in enumerate(found, start=1) if key in wanted]
    first = ranks[0] if ranks else 99
    return (float(first <= 1), float(first <= 3), float(first <= 5), 1.0 / first if ranks else 0.0)


def _means(scores: dict[tuple[str, str], list[tuple[float, ...]]]) -> Scores:
    return {
        key: tuple(statistics.mean(col) for col in zip(*vals, strict=True)) for key, vals in scores.items()
    }


def quality(app: AppContext, keys: dict[str, str], queries: list[tuple[str, str, list[str]]]) -> Scores:
    """(mode, kind) → (R@1, R@3, R@5, MRR), or (share empty,) for negatives, limit 5."""
    scores: dict[tuple[str, str], list[tuple[float, ...]]] = defaultdict(list)
    for mode in SearchMode:
        for kind, query, wanted in queries:
            page = app.context_reads.search(None, query, ContextQuery(project=PROJECT), limit=5, mode=mode)
            if page.notice:
                raise SystemExit(f"{mode}: {page.notice}")
            found = [keys.get(str(hit.id), "") for hit in page.items]
            scores[(mode.value, kind)].append(_score(kind, found, wanted))
    return _means(scores)


def recall_quality(
    app: AppContext, keys: dict[str, str], queries: list[tuple[str, str, list[str]]]
) -> Scores:
    """kind → (answer recalled,) or (nothing recalled,): recall's own relevance test (the model's recall
    floor or an exact identifier), at most RECALL_ITEMS notes."""
    project = app.projects.get(PROJECT)
    scores: dict[tuple[str, str], list[tuple[float, ...]]] = defaultdict(list)
    with app.engine.connect() as conn:
        for kind, query, wanted in queries:
            if kind not in ("paraphrase", "prompt", *EMPTY_KINDS):
                continue
            ranking = app.recall.ranker.relevant(
                conn,
                parse_query(query),
                query,
                ContextFilter(project_ids=[project.id]),
                floor=None,
                want=RECALL_ITEMS,
            )
            found = [keys.get(str(c.id), "") for c in ranking.candidates]
            hit = float(not found) if kind in EMPTY_KINDS else float(any(k in wanted for k in found))
            scores[("recall", kind)].append((hit,))
    return _means(scores)


def print_quality(app: AppContext, keys: dict[str, str]) -> None:
    """The per-kind tables of both splits: search by mode, then recall's test."""
    for split, queries in SPLITS.items():
        table = quality(app, keys, queries)
        kinds = [k for k in KINDS if any(q[0] == k for q in queries)]
        empties = [k for k in EMPTY_KINDS if any(q[0] == k for q in queries)]
        counts = {k: sum(1 for q in queries if q[0] == k) for k in kinds + empties}
        print(
            f"\n### {split} queries, search (limit 5): R@1 / R@3 / R@5 / MRR; share of no-answer queries empty"
        )
        print("| mode | " + " | ".join(f"{k} ({counts[k]})" for k in kinds + empties) + " |")
        print("| --- " * (len(kinds) + len(empties) + 1) + "|")
        for mode in SearchMode:
            cells = [" / ".join(f"{v:.2f}" for v in table[(mode.value, k)]) for k in kinds]
            cells += [f"{table[(mode.value, k)][0]:.2f}" for k in empties]
            print(f"| {mode.value} | " + " | ".join(cells) + " |")
        recalled = recall_quality(app, keys, queries)
        print(
            f"\n{split}, recall's test (at most {RECALL_ITEMS}): "
            + ", ".join(
                f"{kind} {'empty' if kind in EMPTY_KINDS else 'recalled'} {value[0]:.2f}"
                for (_, kind), value in sorted(recalled.items())
            )
        )


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


def run_engine(engine: str, scales: list[int], runs: int, model: str) -> None:
    """Quality at the corpus size, then speed at each scale, on one engine."""
    with scratch_database(engine, ADMIN_URL) as url, tempfile.TemporaryDirectory() as data:
        app = build_app(Settings(data_dir=Path(data), database_url=url, embedding_model=model))
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
            print_quality(app, keys)
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
    parser.add_argument("--model", default="minilm", help="AIDIS_EMBEDDING_MODEL to measure (default minilm)")
    args = parser.parse_args()
    shared = check_paraphrases()
    if shared:
        raise SystemExit("paraphrase queries sharing words with their target:\n" + "\n".join(shared))
    for engine in args.engines.split(","):
        run_engine(engine.strip(), [int(s) for s in args.scales.split(",") if s], args.runs, args.model)


if __name__ == "__main__":
    main()
