"""Export and import: a round trip SQLite → PostgreSQL → SQLite loses nothing (counts and digest),
loading twice changes nothing, a bad file changes nothing, Markdown never escapes its folder."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from aidis.app import AppContext, build_app
from aidis.config import Settings
from aidis.db.engine import build_engine
from aidis.db.migrate import upgrade
from aidis.errors import InvalidInput
from aidis.records import SessionFilter
from aidis.services.caller import Caller
from aidis.services.memory.reads import ContextQuery
from aidis.services.sessions.summaries import Summary
from tests.support import FakeClock, fresh_database_url, row_counts


def _violations(app: AppContext) -> dict[str, int]:
    return {name: n for name, n in app.integrity.check().counts().items() if n}


def _rich_history(app: AppContext, clock: FakeClock) -> None:
    """Projects with workspaces, moved sessions with summaries, revised/deleted/purged contexts, loose events."""
    app.projects.create("alpha", description="the alpha service")
    app.projects.create("../etc")  # a hostile name for the Markdown export
    app.workspaces.update("alpha", add_roots=[str(Path(__file__).parent)])
    agent = Caller("agent-1", "claude-code")
    app.contexts.store(agent, "first thoughts before a project was known")
    clock.advance(minutes=3)
    app.sessions.switch_project(agent.connection_id, "alpha")
    keyed = app.contexts.store(agent, "auth: cookies", key="decision/auth")
    clock.advance(minutes=1)
    app.contexts.store(agent, "auth: tokens", key="decision/auth")
    doomed = app.contexts.store(agent, "temporary scratch note")
    app.context_edits.delete(agent, doomed.context.id, reason="scratch")
    secret = app.contexts.store(agent, "oops pasted a password")
    app.context_edits.delete(
        None, secret.context.id, purge=True, reason="password"
    )  # a person: a loose event
    app.summaries.write(agent, Summary.check({"goal": "auth", "accomplished": "chose tokens"}))
    clock.advance(minutes=5)
    app.sessions.end_for_connection(agent.connection_id)
    other = Caller("agent-2")
    app.contexts.store(other, "a note in ../etc", project="../etc")
    assert keyed.context.id


@pytest.fixture
def third_sqlite(tmp_path: Path, clock: FakeClock) -> Iterator[AppContext]:
    with fresh_database_url("sqlite", tmp_path) as url:
        engine = build_engine(url)
        upgrade(engine)
        engine.dispose()
        app = build_app(Settings(data_dir=tmp_path / "third", database_url=url), migrate=False, clock=clock)
        yield app
        app.close()


def _export(app: AppContext) -> str:
    out = io.StringIO()
    app.exports.write_jsonl(app.exports.scope(), out)
    return out.getvalue()


def test_a_round_trip_sqlite_postgresql_sqlite_loses_nothing(
    both_apps: dict[str, AppContext], third_sqlite: AppContext, clock: FakeClock
) -> None:
    source, middle = both_apps["sqlite"], both_apps["postgresql"]
    _rich_history(source, clock)
    first = _export(source)
    middle.export_importer.load(first.splitlines())
    second = _export(middle)
    third_sqlite.export_importer.load(second.splitlines())
    third = _export(third_sqlite)
    ends = [json.loads(text.splitlines()[-1]) for text in (first, second, third)]
    assert ends[0]["counts"] == ends[1]["counts"] == ends[2]["counts"]
    assert ends[0]["digest"] == ends[1]["digest"] == ends[2]["digest"]
    assert ends[0]["counts"]["revision"] == 1 and ends[0]["counts"]["change"] >= 1
    for app in (middle, third_sqlite):
        assert _violations(app) == {}
        hits = app.context_reads.search(None, "tokens", app_query("alpha"))
        assert "auth: tokens" in [h.title for h in hits.items]
    memory = {
        k: v for k, v in row_counts(source.engine).items() if k != "connections"
    }  # live state, not memory
    assert memory == {k: v for k, v in row_counts(third_sqlite.engine).items() if k != "connections"}


def app_query(project: str) -> ContextQuery:
    return ContextQuery(project=project)


def test_loading_the_same_file_twice_changes_nothing(
    both_apps: dict[str, AppContext], clock: FakeClock
) -> None:
    source, target = both_apps["postgresql"], both_apps["sqlite"]
    _rich_history(source, clock)
    text = _export(source)
    first = target.export_importer.load(text.splitlines())
    after_first = row_counts(target.engine)
    again = target.export_importer.load(text.splitlines())
    assert row_counts(target.engine) == after_first
    assert sum(again.inserted.values()) == 0 and sum(first.inserted.values()) > 0
    assert _violations(target) == {}


def test_an_import_merges_onto_same_named_projects_and_renumbers_clashing_sessions(
    both_apps: dict[str, AppContext], clock: FakeClock
) -> None:
    source, target = both_apps["sqlite"], both_apps["postgresql"]
    _rich_history(source, clock)
    target.projects.create("alpha")
    target.sessions.start("someone-else")  # holds the first session number of the year
    report = target.export_importer.load(_export(source).splitlines())
    assert report.merged_projects == 1 and report.renumbered_sessions >= 1
    assert [p.name for p in target.projects.choices()].count("alpha") == 1
    assert _violations(target) == {}
    fresh = target.sessions.start("after-import")  # numbering continues after every imported session
    items, total = target.sessions.list(SessionFilter(), limit=500)
    assert len({s.display_id for s in items}) == total
    assert fresh.display_id == max(s.display_id for s in items)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["not json"], "line 1 is not JSON"),
        (['{"kind": "meta", "format": "other", "version": 1}'], "not an AIDIS export"),
        ([], "empty"),
        (
            [
                '{"kind": "meta", "format": "aidis-export", "version": 1}',
                '{"kind": "project", "row": {"id": "x"}}',
            ],
            "line 2",
        ),
        (
            ['{"kind": "meta", "format": "aidis-export", "version": 1}', '{"kind": "table", "row": {}}'],
            "unknown record kind",
        ),
        (
            [
                '{"kind": "meta", "format": "aidis-export", "version": 1}',
                '{"kind": "project", "row": {"colour": 1}}',
            ],
            "unknown field",
        ),
    ],
)
def test_a_bad_file_is_refused_by_line_and_changes_nothing(
    app: AppContext, lines: list[str], message: str
) -> None:
    before = row_counts(app.engine)
    with pytest.raises(InvalidInput) as refused:
        app.export_importer.load(lines)
    assert message in refused.value.message and refused.value.field == "file"
    assert row_counts(app.engine) == before


def test_a_truncated_file_is_refused_and_changes_nothing(app: AppContext, clock: FakeClock) -> None:
    _rich_history(app, clock)
    text = _export(app).splitlines()[:-1]
    app.context_edits.delete(None, app.context_reads.recent(None, app_query("alpha")).items[0].id)
    before = row_counts(app.engine)
    with pytest.raises(InvalidInput, match="incomplete"):
        app.export_importer.load(text)
    assert row_counts(app.engine) == before


def test_markdown_files_stay_inside_the_output_folder(
    app: AppContext, clock: FakeClock, tmp_path: Path
) -> None:
    _rich_history(app, clock)
    out = tmp_path / "out"
    report = app.exports.write_markdown(app.exports.scope(), out)
    own = app.handovers.folder  # AIDIS's own data beside the export: the prepared hand-overs, and the
    # lock the embedder's background sweeps take turns with
    written = [
        p
        for p in tmp_path.rglob("*")
        if p.is_file() and own not in p.parents and p != app.embedder.sweep_lock
    ]
    assert written and all(out.resolve() in p.resolve().parents for p in written)
    assert report.files == len(written)
    assert not (tmp_path / "etc").exists()
    texts = "\n".join(p.read_text() for p in written)
    assert "auth: tokens" in texts and "chose tokens" in texts
    assert "oops pasted a password" not in texts and "temporary scratch note" not in texts
