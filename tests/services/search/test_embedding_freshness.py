"""A note stored by another process (the CLI, a second agent's `aidis mcp`, an import) is found by meaning
on the server within seconds — the server's embedder looks for texts without a vector on a fixed
cadence, however busy its own queue is — and until then a search says how many matching notes it ranked
by words only. Both engines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aidis.app import AppContext, build_app
from aidis.config import Settings
from aidis.enums import SearchMode
from aidis.services.caller import Caller
from aidis.services.memory.reads import ContextQuery
from tests.mcp.transports import wait_until
from tests.support import Database, FakeClock

SCOPE = ContextQuery(project="alpha")


@pytest.fixture
def other(db: Database, clock: FakeClock, tmp_path: Path) -> Iterator[AppContext]:
    """Another process on the same database (its own embedder never runs: like a CLI that exits)."""
    settings = Settings(data_dir=tmp_path / "other", database_url=db.url)
    context = build_app(settings, migrate=False, clock=clock)
    context.embedder.background = False
    yield context
    context.close()


def test_a_note_from_another_process_is_found_by_meaning_within_seconds(
    app: AppContext, other: AppContext
) -> None:
    app.projects.create("alpha")
    app.contexts.store(Caller("server-agent"), "The dashboard uses the system font stack.", project="alpha")
    assert app.embedder.wait_idle(60)
    first = app.context_reads.search(
        None, "typography of the web pages", SCOPE, limit=5, mode=SearchMode.HYBRID
    )
    assert first.mode_used is SearchMode.HYBRID  # the index is loaded: the server answers by meaning
    other.contexts.store(
        Caller("cli"), "We chose PostgreSQL advisory locks to serialize migrations.", project="alpha"
    )
    words = app.context_reads.search(None, "PostgreSQL migrations", SCOPE, limit=5, mode=SearchMode.HYBRID)
    assert [h.title for h in words.items][:1] == [
        "We chose PostgreSQL advisory locks to serialize migrations."
    ]
    assert words.notice is not None and "1 matching note" in words.notice and "words only" in words.notice

    app.embedder.start(sweep_seconds=0.2)  # as `aidis serve` does (every 5 s there)
    for n in range(20):  # a busy queue of the server's own stores does not hold the sweep back
        app.contexts.store(Caller("server-agent"), f"Build step {n} caches its wheel files.", project="alpha")

    def by_meaning() -> bool:
        page = app.context_reads.search(
            None, "locking so schema changes never run concurrently", SCOPE, limit=3, mode=SearchMode.SEMANTIC
        )
        return any("advisory locks" in h.title for h in page.items) and page.notice is None

    wait_until(by_meaning, timeout=20, what="the other process's note to be searchable by meaning")
