"""A search scoped to a project answers from that project alone, whichever plan the engine takes:
on SQLite a small project's search names its key to the full-text index (migration 0012) instead
of walking every project's matches, and the answer is the same as filtering afterwards."""

from __future__ import annotations

import pytest

from aidis.app import AppContext
from aidis.enums import SearchMode
from aidis.repositories import context_search
from aidis.services.caller import Caller
from aidis.services.memory.reads import ContextQuery
from aidis.services.operations.demo import generate_contexts


def _titles(app: AppContext, query: str, project: str | None, *, all_projects: bool = False) -> list[str]:
    page = app.context_reads.search(
        None,
        query,
        ContextQuery(project=project, all_projects=all_projects),
        limit=50,
        mode=SearchMode.KEYWORD,
    )
    return [hit.title for hit in page.items]


def test_a_small_projects_search_finds_only_its_own_matches_beside_a_big_project(
    app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = app.projects.create("big")
    app.projects.create("small")
    generate_contexts(app.engine, project_id=big.id, count=400, now=app.clock())  # "benchmark note …"
    for i in range(3):
        app.contexts.store(Caller("s"), f"benchmark note {i} of the small project", project="small")

    small = _titles(app, "benchmark note", "small")
    assert sorted(small) == [f"benchmark note {i} of the small project" for i in range(3)]
    big_titles = _titles(app, "benchmark note", "big")
    assert len(big_titles) == 50 and not any("small project" in t for t in big_titles)
    everywhere = _titles(app, "small project", None, all_projects=True)
    assert len(everywhere) == 3

    monkeypatch.setattr(context_search, "MAX_KEYED_PROJECTS", 0)  # the plan that filters afterwards
    assert _titles(app, "benchmark note", "small") == small
    assert _titles(app, "benchmark note", "big") == big_titles


def test_contexts_moved_by_a_merge_are_found_in_their_new_project_only(app: AppContext) -> None:
    app.projects.create("old-name")
    app.projects.create("new-name")
    app.projects.create("bystander")
    app.contexts.store(Caller("a"), "the parser caches tokens", project="old-name")
    app.contexts.store(Caller("b"), "the parser of the bystander", project="bystander")
    assert _titles(app, "parser", "new-name") == []

    app.merges.merge("old-name", "new-name")

    assert _titles(app, "parser", "new-name") == ["the parser caches tokens"]
    assert _titles(app, "parser", "bystander") == ["the parser of the bystander"]


def test_an_edited_or_deleted_context_is_found_by_its_new_words_only(app: AppContext) -> None:
    app.projects.create("p")
    stored = app.contexts.store(Caller("s"), "first wording about caching", project="p")
    kept = app.contexts.store(Caller("s"), "another note about caching", project="p")
    app.context_edits.update(None, stored.context.id, content="second wording about retries")

    assert _titles(app, "wording", "p") == ["second wording about retries"]
    assert _titles(app, "caching", "p") == ["another note about caching"]
    app.context_edits.delete(None, kept.context.id, purge=True)
    assert _titles(app, "caching", "p") == []
