"""The demo week's script: a small team's projects and what their agents did in them (data only).

Invariant: every note is distinct and says something worth finding by meaning later (no sentence is
repeated across projects), and every story names only files inside its own project's folder — the
demo must look like real work, because it is what a newcomer judges AIDIS by.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PROJECTS: dict[str, str] = {
    "checkout-service": "Payments and checkout API",
    "mobile-app": "iOS and Android client",
    "data-pipeline": "Nightly ETL into the warehouse",
    "docs-site": "Public documentation",
}
AGENT_MODELS = {
    "claude-code": ("claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"),
    "codex": ("gpt-5-codex",),
    "gemini-cli": ("gemini-2.5-pro",),
}


@dataclass(frozen=True, slots=True)
class Story:
    """One agent session: where, what was asked, what it touched and ran, what it chose to remember."""

    project: str | None  # None: started somewhere that names no project (see `folder`)
    agent: str
    prompt: str
    edits: list[str] = field(default_factory=list)  # files changed (relative to the folder)
    creates: list[str] = field(default_factory=list)  # files created
    commands: list[str] = field(default_factory=list)
    tests: tuple[str, int, int] | None = None  # (command, passed, failed)
    note: tuple[str, str] | None = None  # (type, text) stored through AIDIS
    folder: str | None = None  # for project=None: a folder under the demo root


STORIES: list[Story] = [
    Story(
        "checkout-service",
        "claude-code",
        "Customers were charged twice when a card capture timed out and was retried; make captures safe to retry",
        edits=["src/payments/capture.py", "src/payments/client.py"],
        creates=["tests/test_capture_retry.py"],
        tests=("pytest -q tests/test_capture_retry.py", 6, 0),
        note=(
            "decision",
            "Card captures carry an idempotency key derived from the order id, so a retried capture after a timeout can never charge the customer twice.",
        ),
    ),
    Story(
        "checkout-service",
        "codex",
        "Add a refund endpoint that validates, reserves and then executes the refund",
        edits=["src/api/refunds.py", "src/payments/ledger.py"],
        creates=["tests/test_refunds.py"],
        tests=("pytest -q tests/test_refunds.py", 9, 2),
        note=(
            "planning",
            "Refunds run in three steps — validate, reserve funds in the ledger, execute with the processor — and a failure after reserve releases the reservation.",
        ),
    ),
    Story(
        "checkout-service",
        "claude-code",
        "The refund tests fail on partial refunds; fix the rounding",
        edits=["src/payments/ledger.py"],
        tests=("pytest -q tests/test_refunds.py", 11, 0),
        note=(
            "error",
            "Partial refunds were off by a cent because amounts were floats; the ledger now keeps integer minor units everywhere.",
        ),
    ),
    Story(
        "checkout-service",
        "gemini-cli",
        "Profile why the order history endpoint got slow for big merchants",
        edits=["migrations/0042_orders_merchant_created_idx.sql"],
        commands=["psql -f scripts/explain_order_history.sql"],
        note=(
            "decision",
            "A covering index on orders (merchant_id, created_at) took the order history page from 2.3 s to 40 ms for the largest merchant.",
        ),
    ),
    Story(
        "mobile-app",
        "claude-code",
        "Users get logged out every fifteen minutes on Android; keep them signed in",
        edits=["src/auth/tokenStore.ts"],
        tests=("npx jest src/auth", 42, 0),
        note=(
            "decision",
            "The app refreshes its access token silently one minute before expiry using the refresh token kept in the Android Keystore; users are only asked to sign in again after 30 days.",
        ),
    ),
    Story(
        "mobile-app",
        "gemini-cli",
        "Add dark mode to the settings screen",
        edits=["ios/Acme/Settings/SettingsView.swift", "ios/Acme/Theme/Colors.swift"],
        creates=["ios/Acme/Theme/DarkPalette.swift"],
        commands=["xcodebuild -scheme Acme build"],
    ),
    Story(
        "mobile-app",
        "codex",
        "Push notifications stopped arriving on iOS after the certificate rotation",
        edits=["ios/Acme/Push/PushRegistrar.swift", "server/push/apns.py"],
        tests=("pytest -q server/tests/test_apns.py", 5, 1),
        note=(
            "error",
            "APNs rejected pushes with BadDeviceToken because the server still used the sandbox endpoint; production builds must use api.push.apple.com.",
        ),
    ),
    Story(
        "mobile-app",
        "claude-code",
        "Write the release checklist for the 3.4 store submission",
        creates=["docs/release-3.4.md"],
        note=(
            "milestone",
            "Version 3.4 submitted to both stores with the offline cart; the phased rollout starts at 10 % of users.",
        ),
    ),
    Story(
        "data-pipeline",
        "codex",
        "The nightly load into the warehouse duplicates rows when a task is retried",
        edits=["dags/nightly_load.py", "pipeline/load.py"],
        tests=("pytest -q tests/test_load.py", 14, 0),
        note=(
            "decision",
            "Warehouse loads are MERGE statements keyed on the source row id, so re-running a failed task after a partial load never duplicates rows.",
        ),
    ),
    Story(
        "data-pipeline",
        "claude-code",
        "The orders extract runs out of memory on month-end",
        edits=["pipeline/extract.py"],
        tests=("pytest -q tests/test_extract.py", 8, 1),
        note=(
            "error",
            "The month-end extract loaded every order into a list; it now streams the query in chunks of 10,000 rows and peaks at 300 MB instead of 9 GB.",
        ),
    ),
    Story(
        "data-pipeline",
        "gemini-cli",
        "Schedule the currency rates job before the revenue rollup",
        edits=["dags/currency_rates.py", "dags/revenue_rollup.py"],
        commands=["airflow dags test revenue_rollup 2026-12-01"],
        note=(
            "planning",
            "The currency rates DAG must finish before the revenue rollup starts at 03:00 UTC; the rollup waits on it with an external task sensor.",
        ),
    ),
    Story(
        "docs-site",
        "claude-code",
        "Document the webhook signature check for integrators",
        creates=["content/webhooks/verifying-signatures.md"],
        edits=["content/webhooks/_index.md"],
        commands=["hugo --minify"],
        note=(
            "decision",
            "Webhook payloads are signed with HMAC-SHA256 over the timestamp and body; integrators must reject deliveries older than five minutes.",
        ),
    ),
    Story(
        "docs-site",
        "gemini-cli",
        "Fix the broken links the link checker found",
        edits=["content/api/pagination.md", "content/guides/quickstart.md"],
        commands=["lychee content/"],
    ),
    Story(
        "docs-site",
        "codex",
        "Add a search box to the documentation",
        edits=["layouts/partials/header.html"],
        creates=["assets/js/search.js"],
        commands=["npm run build"],
        note=(
            "code",
            "Docs search is a prebuilt Pagefind index generated at build time; no search server runs in production.",
        ),
    ),
    # Work that started where no project is named: a prototype folder nobody registered (triage offers
    # to make it a project), and the folder holding every repository (which one was meant?).
    Story(
        None,
        "claude-code",
        "Prototype a cache for exchange rates in a scratch folder",
        creates=["rates_cache.py"],
        commands=["python rates_cache.py"],
        folder="scratch/rates-cache-spike",
    ),
    Story(
        None,
        "codex",
        "Find every place that still calls the old payments client",
        commands=["grep -rn 'LegacyPaymentsClient' ."],
        folder="code",
    ),
    Story(
        None,
        "gemini-cli",
        "Compare the lint settings across the repositories",
        commands=["cat */pyproject.toml"],
        folder="code",
    ),
]

# Sessions carried over from the old TypeScript AIDIS, which lost their project: their events still
# name it (the evidence `aidis backfill` assigns them by).
CARRIED_OVER = [
    ("checkout-service", "Investigate chargeback webhook retries"),
    ("checkout-service", "Tune the fraud score threshold"),
    ("data-pipeline", "Backfill the November currency rates"),
]
