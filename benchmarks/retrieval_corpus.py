"""The graded query set of benchmarks/retrieval.py: notes an agent team would store, and queries with
the notes they should find.

Written for this benchmark (not taken from any tool's data). TARGETS are the notes queries point at;
`distractors()` adds a few hundred plausible notes about the same kind of project that no query is
about. Query kinds:

- paraphrase   asks for a target in other words: no content word in common (after stemming)
- reworded     a question about a target sharing a word or two with it, but not all of its words
- identifier   an exact identifier, path, setting, error code or version from a target
- symbol       a code symbol (Class.method, module::function, a CLI flag)
- duplicate    near-duplicate notes exist; the query's detail picks one
- negative     nothing in the corpus is about it: a good search returns nothing (or nothing close)
"""

from __future__ import annotations

import random

TARGETS: dict[str, str] = {
    "billing-retry": "We retry card captures with idempotency keys so a customer is never charged twice.",
    "pool-size": "Postgres connection pool exhausted under load on Friday; raised max pool size to 20.",
    "pool-size-old": "Postgres connection pool was set to 50 in staging last spring, which hid the leak.",
    "lint": "Use ruff for linting and mypy --strict on src; CI fails on either.",
    "htmx": "The dashboard renders on the server and uses htmx to swap page fragments.",
    "token-ttl": "Session tokens expire after 15 minutes; the client refreshes them silently.",
    "ci-engines": "CI runs the test suite twice: once on SQLite and once on PostgreSQL 15.",
    "blue-green": "Deploys go out through a blue-green switch behind the load balancer.",
    "logs-loki": "Application logs are JSON lines shipped to Loki by promtail.",
    "cdn-bust": "We purge the CDN cache on every release so browsers fetch the new bundle.",
    "reaper": "The reaper times out sessions idle for 30 minutes and records session_end.",
    "auth-env": "Set AIDIS_AUTH_TOKEN (16+ characters) before binding anything but loopback.",
    "switching": "session_switching.py moves a session between projects and writes one change row.",
    "error-code": "Error E1234 means the spool file was locked by another writer; retry after a second.",
    "migration-0008": "Migration 0008_search_text_and_vectors adds search_text and context_vectors.",
    "version-bug": "Version 1.2.3 of the exporter dropped tags; fixed in 1.2.4.",
    "host": "The staging API lives at api.staging.example.com behind the VPN.",
    "email-owner": "Questions about the billing ledger go to finance-oncall@example.com.",
    "path-config": "Runtime settings are read once in src/aidis/config.py and nowhere else.",
    "symbol-search": "ContextReadService.search fuses keyword and vector ranks with reciprocal rank fusion.",
    "symbol-build": "build_app wires the embedder into the change feed after every commit.",
    "symbol-rust": "tokio::spawn_blocking keeps the hashing off the async executor in the indexer.",
    "cli-flag": "Run aidis embed --backfill after switching models to embed old contexts now.",
    "timezone": "All timestamps are stored in UTC; the dashboard converts to the browser's zone.",
    "backup": "Nightly pg_dump backups are kept for 14 days in the cold bucket.",
    "rate-limit": "The public API allows 60 requests per minute per token; bursts get 429.",
    "flaky-clock": "The flaky test read the clock twice during one request; we inject a fake clock now.",
    "feature-flags": "Feature flags live in LaunchDarkly; stale flags are removed each quarter.",
    "oncall": "Whoever is on call owns the pager for a week, handover on Mondays at ten.",
    "i18n": "Translations are kept in gettext .po files and compiled during the build.",
    "search-engine": "Full-text search uses FTS5 with the porter stemmer on SQLite and tsvector on Postgres.",
    "memory-leak": "The worker leaked memory through an unbounded dict of open file handles; capped at 1000.",
    "docker-size": "The container image shrank from 1.2 GB to 180 MB with a multi-stage build.",
    "secrets": "Secrets come from Vault at start-up; nothing secret is written to disk.",
    "pagination": "List endpoints page with an opaque cursor rather than offsets.",
    "websocket": "Live updates use server-sent events because the proxy drops idle websockets.",
    "cron": "The invoice job runs at 02:00 UTC from a Kubernetes CronJob.",
    "accessibility": "Every form control has a visible label; we test with axe in CI.",
    "perf-index": "Adding a covering index on (project_id, created_at) made the daily chart fast.",
    "retention": "Contexts older than two years are pruned unless tagged keep.",
    "summaries": "When a session ends without a summary, one is written from what the agent did.",
    "dedupe": "Storing the same text within 24 hours counts a sighting instead of a new row.",
    "offline": "The embedding model ships inside the wheel; nothing is downloaded at run time.",
    "email-queue": "Outgoing mail goes through a queue so a slow SMTP server cannot block requests.",
    "uploads": "User uploads are scanned for malware before they are stored.",
    "sso": "Employees sign in with the company's OIDC provider; contractors get local accounts.",
    "schema-drift": "A test compares the ORM metadata with the migrated schema on both engines.",
    "gc-pauses": "Long garbage collection pauses disappeared after moving to the generational collector.",
    "metrics": "Prometheus scrapes /metrics every 15 seconds; dashboards live in Grafana.",
    "tracing": "Traces go to an OTLP collector when OTEL_EXPORTER_OTLP_ENDPOINT is set.",
}

# (kind, query, the targets that answer it)
QUERIES: list[tuple[str, str, list[str]]] = [
    # paraphrases: the meaning, none of the target's content words
    ("paraphrase", "how do we avoid double billing when a payment is attempted again", ["billing-retry"]),
    ("paraphrase", "running out of db handles under heavy traffic", ["pool-size"]),
    ("paraphrase", "which static analysis tools gate a merge", ["lint"]),
    ("paraphrase", "front-end approach of the web ui", ["htmx"]),
    ("paraphrase", "how long until a login becomes invalid", ["token-ttl"]),
    ("paraphrase", "zero downtime release strategy", ["blue-green"]),
    ("paraphrase", "where do program messages and errors end up", ["logs-loki"]),
    ("paraphrase", "stale assets after shipping an update", ["cdn-bust"]),
    ("paraphrase", "what closes inactive work periods", ["reaper"]),
    ("paraphrase", "which offset do we keep dates in", ["timezone"]),
    ("paraphrase", "how long are database copies retained", ["backup"]),
    ("paraphrase", "throttling of the external interface", ["rate-limit"]),
    ("paraphrase", "nondeterministic unit check caused by time", ["flaky-clock"]),
    ("paraphrase", "toggles for unfinished functionality", ["feature-flags"]),
    ("paraphrase", "who answers alerts at night", ["oncall"]),
    ("paraphrase", "localization of strings into other languages", ["i18n"]),
    ("paraphrase", "process ran out of ram over time", ["memory-leak"]),
    ("paraphrase", "reducing the size of the artifact we ship", ["docker-size"]),
    ("paraphrase", "where credentials and passwords are loaded from", ["secrets"]),
    ("paraphrase", "push notifications to the browser without polling", ["websocket"]),
    ("paraphrase", "scheduled nightly task for bills", ["cron"]),
    ("paraphrase", "a11y of inputs for screen readers", ["accessibility"]),
    ("paraphrase", "slow graph query fixed", ["perf-index"]),
    ("paraphrase", "deleting very old memories automatically", ["retention"]),
    ("paraphrase", "avoid keeping identical notes twice", ["dedupe"]),
    ("paraphrase", "works without internet access", ["offline"]),
    ("paraphrase", "virus checking of files people send us", ["uploads"]),
    ("paraphrase", "single login for staff", ["sso"]),
    ("paraphrase", "graphs and monitoring counters", ["metrics"]),
    ("paraphrase", "recap produced automatically once work stops", ["summaries"]),
    # reworded: a question sharing some words with its target (keyword search needs every word)
    ("reworded", "how do we avoid double billing on payment retries", ["billing-retry"]),
    ("reworded", "why did the connection pool run dry", ["pool-size"]),
    ("reworded", "what does the dashboard use for partial page updates", ["htmx"]),
    ("reworded", "when do session tokens stop working", ["token-ttl"]),
    ("reworded", "which load balancer trick do deploys rely on", ["blue-green"]),
    ("reworded", "where are logs sent", ["logs-loki"]),
    ("reworded", "do we clear the CDN when we release", ["cdn-bust"]),
    ("reworded", "how long do backups stay around", ["backup"]),
    ("reworded", "what happens above the request limit of the public API", ["rate-limit"]),
    ("reworded", "how is the pager rotation organised", ["oncall"]),
    ("reworded", "what caused the worker memory growth", ["memory-leak"]),
    ("reworded", "how did the container image get smaller", ["docker-size"]),
    ("reworded", "are secrets ever written to disk", ["secrets"]),
    ("reworded", "why server-sent events instead of websockets", ["websocket"]),
    ("reworded", "when does the invoice job run", ["cron"]),
    ("reworded", "how are old contexts pruned", ["retention"]),
    ("reworded", "what happens when the same text is stored twice", ["dedupe"]),
    ("reworded", "does the embedding model need a download", ["offline"]),
    ("reworded", "is outgoing mail sent synchronously", ["email-queue"]),
    ("reworded", "how do contractors sign in", ["sso"]),
    # exact identifiers
    ("identifier", "AIDIS_AUTH_TOKEN", ["auth-env"]),
    ("identifier", "session_switching.py", ["switching"]),
    ("identifier", "E1234", ["error-code"]),
    ("identifier", "0008_search_text_and_vectors", ["migration-0008"]),
    ("identifier", "1.2.3", ["version-bug"]),
    ("identifier", "api.staging.example.com", ["host"]),
    ("identifier", "finance-oncall@example.com", ["email-owner"]),
    ("identifier", "src/aidis/config.py", ["path-config"]),
    ("identifier", "OTEL_EXPORTER_OTLP_ENDPOINT", ["tracing"]),
    ("identifier", "pg_dump", ["backup"]),
    ("identifier", "FTS5", ["search-engine"]),
    ("identifier", "429", ["rate-limit"]),
    # code symbols
    ("symbol", "ContextReadService.search", ["symbol-search"]),
    ("symbol", "build_app", ["symbol-build"]),
    ("symbol", "tokio::spawn_blocking", ["symbol-rust"]),
    ("symbol", "--backfill", ["cli-flag"]),
    ("symbol", "mypy --strict", ["lint"]),
    # near-duplicates: the detail decides
    ("duplicate", "pool size raised to 20", ["pool-size"]),
    ("duplicate", "pool set to 50 in staging", ["pool-size-old"]),
    ("duplicate", "exporter dropped tags, fixed in 1.2.4", ["version-bug"]),
    ("duplicate", "CI on SQLite and PostgreSQL 15", ["ci-engines"]),
    # negatives: nothing is about these
    ("negative", "kubernetes helm chart values for redis", []),
    ("negative", "recipe for chocolate cake", []),
    ("negative", "quarterly revenue forecast spreadsheet", []),
    ("negative", "bluetooth pairing on the office printer", []),
    ("negative", "graphql federation gateway", []),
    ("negative", "mobile app push certificates for ios", []),
    ("negative", "machine learning model fine-tuning schedule", []),
    ("negative", "parking spaces at the new office", []),
]

_COMPONENTS = [
    "the importer",
    "the exporter",
    "the session list",
    "the project page",
    "the hook replayer",
    "the spool",
    "the stdio front",
    "the HTTP API",
    "the CLI",
    "the merge tool",
    "the triage queue",
    "the workspace resolver",
    "the transcript reader",
    "the statistics page",
    "the backfill job",
]
_FACTS = [
    "now shows {n} rows per page",
    "was refactored into {n} smaller modules",
    "got {n} new tests",
    "reads its input in batches of {n}",
    "keeps at most {n} items in memory",
    "answers in under {n} ms",
    "was renamed last sprint",
    "logs a warning when it skips a row",
    "has a known issue with empty input",
    "validates every field before writing",
    "now sorts newest first",
    "needs a follow-up review",
    "is covered by an end-to-end test",
    "was moved behind a feature toggle",
    "uses the shared helper now",
]
_OPENERS = ["Note:", "Decided:", "Done:", "TODO:", "Found:", "Reminder:", ""]


def distractors(count: int, seed: int = 7) -> list[str]:
    """`count` plausible notes about the same project that no query asks for."""
    rng = random.Random(seed)
    notes = []
    for _ in range(count):
        fact = rng.choice(_FACTS).format(n=rng.choice([3, 5, 8, 12, 40, 100, 250]))
        notes.append(
            " ".join(p for p in (rng.choice(_OPENERS), rng.choice(_COMPONENTS).capitalize(), fact) if p) + "."
        )
    return notes
