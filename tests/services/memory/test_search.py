"""Search finds the same contexts on both engines (stemmed), is compact, filters by time, and
accepts any text a person or agent types without an engine syntax error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aidis.app import AppContext
from aidis.enums import ContextType, SearchMode
from aidis.errors import InvalidInput
from aidis.services.caller import Caller
from aidis.services.memory.reads import ContextQuery
from tests.support import FakeClock

TEXTS = [
    "Database migrations run on startup and record each schema revision.",
    "The reaper ended sessions that were still running after the idle timeout.",
    "Decided: authentication uses short-lived tokens, refreshed by the client.",
    "Fixed the flaky test: the clock was read twice during one request.",
    "Plan: export every project to JSON lines, then import it into PostgreSQL.",
    "Running the importer twice must not duplicate any sessions.",
    # what agents store and search for: paths, hosts, emails, URLs, versions, identifiers, accents
    "the bug is in src/aidis/app.py",
    "email bob@example.com about it",
    "see https://example.com/docs/page",
    "version 1.2.3 broke it",
    "Set AIDIS_AUTH_TOKEN before binding 0.0.0.0.",
    "session_switching.py moves sessions; the error code is E1234.",
    "std::vector<int> and lodash-es are in use",
    "Met at the café, résumé attached.",
    "Don't deploy on Fridays.",
]
# Everyday queries, including the four the unstemmed SQLite index used to miss.
QUERIES = [
    "migration",
    "revisions",
    "session",
    "ends",
    "running",
    "decide",
    "token refresh",
    '"idle timeout"',
    "import*",
    "flaky tests",
    "the clock",
    "authenticated",
    "nothing matches this",
    "app.py",
    "src/aidis/app.py",
    "aidis",
    "bob",
    "example.com",
    "bob@example.com",
    "docs",
    "https://example.com/docs/page",
    "1.2.3",
    "AIDIS_AUTH_TOKEN",
    "auth_token",
    "session_switching.py",
    "switching",
    "E1234",
    "std::vector",
    "lodash-es",
    "cafe",
    "resume",
    "don't",
    "dont",
]


def _store_all(app: AppContext) -> dict[str, str]:
    app.projects.create("search")
    ids = {}
    for text in TEXTS:
        stored = app.contexts.store(Caller("s"), text, project="search")
        ids[str(stored.context.id)] = text
    return ids


def _hits(app: AppContext, query: str, ids: dict[str, str]) -> set[str]:
    page = app.context_reads.search(
        None, query, ContextQuery(project="search"), limit=50, mode=SearchMode.KEYWORD
    )
    assert page.mode_used is SearchMode.KEYWORD
    return {ids[str(hit.id)] for hit in page.items}


def test_both_engines_find_the_same_contexts_for_the_same_words(both_apps: dict[str, AppContext]) -> None:
    found: dict[str, dict[str, set[str]]] = {}
    for engine, app in both_apps.items():
        ids = _store_all(app)
        found[engine] = {query: _hits(app, query, ids) for query in QUERIES}
    assert found["sqlite"] == found["postgresql"]
    hits = found["sqlite"]
    assert hits["migration"] == {TEXTS[0]}
    assert hits["revisions"] == {TEXTS[0]}
    assert hits["session"] == {TEXTS[1], TEXTS[5], TEXTS[11]}
    assert hits["ends"] == {TEXTS[1]}
    assert hits['"idle timeout"'] == {TEXTS[1]}
    assert hits["import*"] == {TEXTS[4], TEXTS[5]}
    assert hits["nothing matches this"] == set()
    for query, index in {
        "app.py": 6,
        "src/aidis/app.py": 6,
        "bob": 7,
        "bob@example.com": 7,
        "docs": 8,
        "https://example.com/docs/page": 8,
        "1.2.3": 9,
        "AIDIS_AUTH_TOKEN": 10,
        "auth_token": 10,
        "session_switching.py": 11,
        "switching": 11,
        "E1234": 11,
        "std::vector": 12,
        "lodash-es": 12,
        "cafe": 13,
        "resume": 13,
    }.items():
        assert hits[query] == {TEXTS[index]}, query
    assert hits["aidis"] == {TEXTS[6], TEXTS[10]}
    assert hits["example.com"] == {TEXTS[7], TEXTS[8]}
    assert hits["don't"] == hits["dont"] == {TEXTS[14]}


def test_hits_are_compact_with_a_highlighted_snippet_and_the_size(app: AppContext) -> None:
    app.projects.create("big")
    long_text = "Title line about caching\n" + ("filler words here. " * 2000) + "the needle is here."
    app.contexts.store(Caller("s"), long_text, project="big")
    page = app.context_reads.search(None, "needle", ContextQuery(project="big"))
    (hit,) = page.items
    assert hit.title == "Title line about caching"
    assert "\x02needle\x03" in hit.snippet and len(hit.snippet) < 400
    assert hit.chars == len(long_text)
    assert hit.session_display_id is not None


def test_since_and_until_bound_the_creation_time(app: AppContext, clock: FakeClock) -> None:
    app.projects.create("t")
    app.contexts.store(Caller("s"), "old note about caching", project="t")
    cut = clock()
    clock.advance(hours=1)
    app.contexts.store(Caller("s"), "new note about caching", project="t")
    newer = app.context_reads.search(
        None, "caching", ContextQuery(project="t", since=cut + timedelta(minutes=1))
    )
    older = app.context_reads.search(
        None, "caching", ContextQuery(project="t", until=cut + timedelta(minutes=1))
    )
    assert [h.title for h in newer.items] == ["new note about caching"]
    assert [h.title for h in older.items] == ["old note about caching"]
    with pytest.raises(InvalidInput) as refused:
        app.context_reads.search(None, "caching", ContextQuery(project="t", since=cut, until=cut))
    assert refused.value.field == "since"


def test_a_query_without_words_is_a_clear_error(app: AppContext) -> None:
    with pytest.raises(InvalidInput) as refused:
        app.context_reads.search(None, '"(*)" --', ContextQuery())
    assert refused.value.field == "query"


def test_pages_say_when_more_follow(app: AppContext) -> None:
    app.projects.create("p")
    for i in range(5):
        app.contexts.store(Caller("s"), f"note {i} about paging", project="p", context_type=ContextType.NOTE)
    assert app.embedder.wait_idle(30)  # pages of one unchanged index (a new vector may reorder a live one)
    first = app.context_reads.search(None, "paging", ContextQuery(project="p"), limit=3)
    rest = app.context_reads.search(None, "paging", ContextQuery(project="p"), limit=3, offset=3)
    assert first.has_more and len(first.items) == 3
    assert not rest.has_more and len(rest.items) == 2
    assert {h.id for h in first.items}.isdisjoint({h.id for h in rest.items})


HOSTILE = st.one_of(
    st.text(max_size=200),
    st.just('a\x00b "x\x00'),
    st.lists(
        st.sampled_from(
            ['"', "*", "NEAR", "(", ")", "AND", "OR", "NOT", ":", "^", "-", "'", "\\", "💥", "ß", " "]
        ),
        max_size=30,
    ).map("".join),
    st.text(min_size=9_000, max_size=10_000),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=HOSTILE)
def test_any_text_is_a_valid_query_or_a_clear_validation_error(app: AppContext, query: str) -> None:
    try:  # only words reach the engine, so even a NUL character is harmless here
        page = app.context_reads.search(None, query, ContextQuery(all_projects=True))
    except InvalidInput as refused:
        assert refused.field == "query"
    else:
        assert page.items == []  # nothing is stored: the query ran and matched nothing
