"""Prompt-shaped queries and the held-out split of benchmarks/retrieval.py (written for it, like the corpus).

A prompt is what a user types to an agent — a task, not a search phrase — and is what prompt-time
recall searches with. Kinds:

- prompt           a task whose answer is a note of the corpus (it may share words with it)
- prompt-negative  a task nothing in the corpus is about: recall must inject nothing

HELD_OUT holds new queries of every kind over the same notes, written before any measurement and never
used to choose a model, a floor or a ranking: the tuned numbers are compared with these to show the
choices were not fitted to the questions.
"""

from __future__ import annotations

# (kind, query, the targets that answer it)
PROMPTS: list[tuple[str, str, list[str]]] = [
    (
        "prompt",
        "Checkout sometimes charges customers twice when the card capture is retried; make the retry safe",
        ["billing-retry"],
    ),
    (
        "prompt",
        "We're seeing too many connections errors from postgres during the Friday load test, can you look into it",
        ["pool-size"],
    ),
    ("prompt", "Set up the pre-commit config so linting and type checks match what CI enforces", ["lint"]),
    ("prompt", "Add a new partial to the dashboard that swaps in when the filter changes", ["htmx"]),
    (
        "prompt",
        "Users complain they get logged out every quarter hour, investigate the auth flow",
        ["token-ttl"],
    ),
    (
        "prompt",
        "Write the release runbook for switching traffic to the new version without downtime",
        ["blue-green"],
    ),
    (
        "prompt",
        "Add structured logging to the worker so its output shows up with the rest of our logs",
        ["logs-loki"],
    ),
    ("prompt", "After yesterday's deploy people still see the old javascript bundle, fix it", ["cdn-bust"]),
    ("prompt", "Sessions that are left open overnight never get closed, find out why", ["reaper"]),
    (
        "prompt",
        "The daily report shows the wrong day for events near midnight for users in Tokyo",
        ["timezone"],
    ),
    ("prompt", "How far back can we restore the database if someone drops a table today?", ["backup"]),
    (
        "prompt",
        "Our integration test hammers the public API and starts failing with too many requests",
        ["rate-limit"],
    ),
    (
        "prompt",
        "This test passes locally but fails in CI around the hour boundary; make it deterministic",
        ["flaky-clock"],
    ),
    ("prompt", "Clean up the old toggles for features that shipped last year", ["feature-flags"]),
    ("prompt", "Who should I page about a broken production alert this weekend?", ["oncall"]),
    ("prompt", "Add German translations for the new settings screen", ["i18n"]),
    (
        "prompt",
        "The background worker's memory keeps climbing until it is killed; track it down",
        ["memory-leak"],
    ),
    (
        "prompt",
        "Our CI spends ages pushing the image; make the Dockerfile produce something smaller",
        ["docker-size"],
    ),
    (
        "prompt",
        "Wire the new service's database password into the app without putting it in the repo",
        ["secrets"],
    ),
    ("prompt", "Implement paging for the /api/v1/sessions list endpoint", ["pagination"]),
    ("prompt", "Live session updates stop after a minute behind the corporate proxy", ["websocket"]),
    ("prompt", "Make sure the new settings form passes the accessibility checks in CI", ["accessibility"]),
    ("prompt", "The daily chart on the project page got slow again, profile the query", ["perf-index"]),
    (
        "prompt",
        "Add a migration for a new column and keep the ORM and the schema in sync on both databases",
        ["schema-drift"],
    ),
    ("prompt", "Send tracing data from the new service to our collector", ["tracing"]),
    ("prompt-negative", "fix the typo in the README", []),
    ("prompt-negative", "rename the variable tmp to result in utils.py", []),
    ("prompt-negative", "bump the version number to 2.0 and update the changelog", []),
    ("prompt-negative", "write a haiku about autumn", []),
    ("prompt-negative", "add a dark mode switch to the settings page", []),
    ("prompt-negative", "convert this function to use async/await", []),
    ("prompt-negative", "explain what a monad is", []),
    ("prompt-negative", "sort the imports in main.py", []),
    ("prompt-negative", "add a unit test for the string padding helper", []),
    ("prompt-negative", "make the button on the landing page blue", []),
    ("prompt-negative", "delete the unused images in the assets folder", []),
    ("prompt-negative", "translate this error message into plain English for the user", []),
]

HELD_OUT: list[tuple[str, str, list[str]]] = [
    ("paraphrase", "stop a buyer paying double on a repeated attempt", ["billing-retry"]),
    ("paraphrase", "why the db stopped accepting clients during peak", ["pool-size"]),
    ("paraphrase", "which style checker and type checker are required", ["lint"]),
    ("paraphrase", "how the admin screens refresh parts without reloading", ["htmx"]),
    ("paraphrase", "credential lifetime for signed-in users", ["token-ttl"]),
    ("paraphrase", "how traffic moves between two identical production environments", ["blue-green"]),
    ("paraphrase", "where can I read what the app printed yesterday", ["logs-loki"]),
    ("paraphrase", "visitors get outdated scripts after we ship", ["cdn-bust"]),
    ("paraphrase", "auto-closing abandoned work periods", ["reaper"]),
    ("paraphrase", "keeping copies of the database safe overnight", ["backup"]),
    ("paraphrase", "ceiling on how often clients may call us", ["rate-limit"]),
    ("paraphrase", "who carries the phone for incidents", ["oncall"]),
    ("paraphrase", "shrinking what we deploy to production", ["docker-size"]),
    ("paraphrase", "where private keys are fetched when the service boots", ["secrets"]),
    ("paraphrase", "removing ancient notes on a schedule", ["retention"]),
    (
        "prompt",
        "A customer was billed two times for one order after a network blip; make payments safe to repeat",
        ["billing-retry"],
    ),
    (
        "prompt",
        "The staging API timed out with 'remaining connection slots are reserved' this morning",
        ["pool-size"],
    ),
    ("prompt", "The CI job is red because of type errors; fix them the way our checks expect", ["lint"]),
    (
        "prompt",
        "Build the new project settings page in the same style as the other dashboard pages",
        ["htmx"],
    ),
    ("prompt", "Why does the mobile client keep asking for a new token?", ["token-ttl"]),
    ("prompt", "Prepare tonight's release so we can roll back instantly if it goes wrong", ["blue-green"]),
    ("prompt", "Find the error messages the importer printed last night", ["logs-loki"]),
    ("prompt", "Customers see the previous version of the site after our release", ["cdn-bust"]),
    ("prompt", "Someone left a session running for three days and it's still open", ["reaper"]),
    ("prompt", "Events show up on the wrong date in the chart for people in California", ["timezone"]),
    ("prompt", "We need to restore last Tuesday's data after a bad migration", ["backup"]),
    ("prompt", "The partner's batch job gets HTTP 429 from us; what are the limits?", ["rate-limit"]),
    ("prompt", "Write up who is on call next week and when the handover happens", ["oncall"]),
    ("prompt", "The importer's memory use grows with every file it opens", ["memory-leak"]),
    ("prompt", "Move the mail sending out of the request path", ["email-queue"]),
    ("prompt-negative", "update the copyright year in the footer", []),
    ("prompt-negative", "refactor the parser to use a dataclass", []),
    ("prompt-negative", "write a limerick about databases", []),
    ("prompt-negative", "add type hints to the geometry module", []),
    ("prompt-negative", "center the logo on the login page", []),
    ("prompt-negative", "what's the capital of Australia", []),
    ("prompt-negative", "replace the for loop with a list comprehension", []),
    ("prompt-negative", "draft an email inviting the team to lunch on Friday", []),
    ("prompt-negative", "remove the trailing whitespace in every file", []),
    ("prompt-negative", "generate a CSV of fake user names for a demo", []),
    ("negative", "quantum computing roadmap", []),
    ("negative", "office plants watering schedule", []),
    ("negative", "ios widget design", []),
    ("negative", "salary bands for engineers", []),
    ("negative", "tensorflow gpu drivers", []),
    ("negative", "conference travel budget", []),
]
