"""Search by meaning and by words, fused: a question finds the note it does not share words with,
typed identifiers come first, the caller's filters hold for vector matches too, both engines agree,
and a search that could not use meaning says so."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from aidis.app import AppContext, build_app
from aidis.config import Settings
from aidis.enums import ContextType, SearchMode
from aidis.services.caller import Caller
from aidis.services.memory.reads import ContextQuery
from tests.support import Database, FakeClock

AGENT = Caller("hybrid-test")
NOTES = [
    "Session tokens expire after 15 minutes; the client refreshes them silently.",
    "The container image shrank with a multi-stage build.",
    "Nightly backups are kept for 14 days in the cold bucket.",
    "Translations are kept in gettext files and compiled during the build.",
]
QUESTION = "how long until a login becomes invalid"  # shares no word with NOTES[0]


def _store(app: AppContext, project: str = "p", notes: list[str] = NOTES) -> list[str]:
    app.projects.create(project)
    ids = [str(app.contexts.store(AGENT, text, project=project).context.id) for text in notes]
    assert app.embedder.wait_idle(60)
    return ids


def _search(app: AppContext, text: str, mode: SearchMode, **query: object) -> list[str]:
    page = app.context_reads.search(None, text, ContextQuery(**{"project": "p", **query}), mode=mode)  # type: ignore[arg-type]
    assert page.mode_used is mode and page.notice is None
    return [str(hit.id) for hit in page.items]


def test_a_question_finds_the_note_it_shares_no_word_with(app: AppContext) -> None:
    ids = _store(app)
    assert _search(app, QUESTION, SearchMode.KEYWORD) == []
    assert _search(app, QUESTION, SearchMode.SEMANTIC)[0] == ids[0]
    page = app.context_reads.search(None, QUESTION, ContextQuery(project="p"))
    assert page.mode_used is SearchMode.HYBRID
    assert str(page.items[0].id) == ids[0] and page.items[0].matched == "semantic"


def test_a_typed_identifier_comes_first_whatever_the_mode(app: AppContext) -> None:
    ids = _store(
        app, notes=["the aidis auth token is checked on every request", "Set AIDIS_AUTH_TOKEN first."]
    )
    for mode in SearchMode:
        page = app.context_reads.search(None, "AIDIS_AUTH_TOKEN", ContextQuery(project="p"), mode=mode)
        assert str(page.items[0].id) == ids[1] and page.items[0].matched == "exact", mode


def test_filters_hold_for_matches_by_meaning(app: AppContext) -> None:
    ids = _store(app)
    app.projects.create("elsewhere")
    copy = str(app.contexts.store(AGENT, NOTES[0], project="elsewhere").context.id)
    app.contexts.store(
        AGENT, "Login tokens time out after a quarter hour.", project="p", context_type=ContextType.DECISION
    )
    assert app.embedder.wait_idle(60)
    found = _search(app, QUESTION, SearchMode.SEMANTIC)
    assert ids[0] in found and copy not in found  # the same text in another project is not this one's
    assert len(set(found)) == len(found)
    decisions = _search(app, QUESTION, SearchMode.SEMANTIC, types=[ContextType.DECISION])
    assert ids[0] not in decisions and len(decisions) == 1
    app.context_edits.delete(AGENT, uuid.UUID(ids[0]), reason="gone")
    assert ids[0] not in _search(app, QUESTION, SearchMode.SEMANTIC)
    assert ids[0] in _search(app, QUESTION, SearchMode.SEMANTIC, deleted=True)


def test_a_vector_made_by_another_process_is_found(app: AppContext, tmp_path: Path) -> None:
    _store(app)
    assert _search(app, "cold bucket backups", SearchMode.SEMANTIC)  # this process's index is loaded
    other = build_app(Settings(data_dir=tmp_path / "other", database_url=app.settings.database_url))
    try:
        made = str(
            other.contexts.store(
                AGENT, "Invoices are mailed on the first of the month.", project="p"
            ).context.id
        )
        assert other.embedder.wait_idle(60)
    finally:
        other.close()
    assert made in _search(app, "invoices mailed on the first", SearchMode.SEMANTIC)


def test_both_engines_rank_the_same_contexts(both_apps: dict[str, AppContext]) -> None:
    found = {}
    for engine, app in both_apps.items():
        ids = _store(app)
        titles = dict(zip(ids, NOTES, strict=True))
        found[engine] = {
            mode: [titles[i] for i in _search(app, text, mode)]
            for mode in SearchMode
            for text in (QUESTION, "backups")
        }
    assert found["sqlite"] == found["postgresql"]


def test_a_search_that_cannot_use_meaning_says_so_and_still_answers(
    db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    said: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: said.append(record.getMessage())  # type: ignore[method-assign]
    search_log = logging.getLogger("aidis.search")
    level_before = search_log.level  # another test may have configured the root logger to ERROR
    search_log.setLevel(logging.WARNING)
    search_log.addHandler(handler)
    app = build_app(Settings(data_dir=tmp_path, database_url=db.url, embedding_model="off"), clock=clock)
    try:
        app.projects.create("p")
        app.contexts.store(AGENT, "nightly backups are kept for 14 days", project="p")
        for _ in range(2):
            page = app.context_reads.search(None, "backups", ContextQuery(project="p"))
            assert page.mode_used is SearchMode.KEYWORD and len(page.items) == 1
            assert page.notice is not None and "AIDIS_EMBEDDING_MODEL=off" in page.notice
        explicit = app.context_reads.search(
            None, "backups", ContextQuery(project="p"), mode=SearchMode.KEYWORD
        )
        assert explicit.notice is None
    finally:
        app.close()
        search_log.removeHandler(handler)
        search_log.setLevel(level_before)
    assert sum("semantic search unavailable" in message for message in said) == 1
