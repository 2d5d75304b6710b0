"""import-legacy → backfill → check, from a generated TypeScript-AIDIS database, on both target engines."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from aidis.app import AppContext
from aidis.db.schema import analytics_events, contexts, projects, session_project_changes, sessions
from aidis.enums import SENTINEL_PROJECT_ID
from aidis.errors import InvalidInput, NotFound
from tests.conftest import require_engine
from tests.legacy.fixture import NOW, LegacyData, populate, table_fingerprint
from tests.support import FakeClock, create_pg_database, drop_pg_database, row_counts


@pytest.fixture
def legacy(clock: FakeClock) -> Iterator[tuple[str, LegacyData]]:
    require_engine("postgresql")  # the source is always a PostgreSQL database
    clock.now = NOW
    url = create_pg_database("aidis_legacy")
    try:
        yield url, populate(url, now=NOW)
    finally:
        drop_pg_database(url)


def _count(app: AppContext, table, *where) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def _project_of(app: AppContext, session_id: uuid.UUID) -> uuid.UUID:
    with app.engine.connect() as conn:
        return conn.execute(select(sessions.c.project_id).where(sessions.c.id == session_id)).scalar_one()


def test_import_backfill_check_ends_clean_with_nothing_lost(
    app: AppContext, legacy: tuple[str, LegacyData]
) -> None:
    url, data = legacy
    source_before = table_fingerprint(url)

    report = app.importer.run(url)
    assert all(t.reconciled for t in report.tables.values())
    for table, (count, _) in source_before.items():
        assert report.tables[table].source == report.tables[table].imported == count, table
    assert table_fingerprint(url) == source_before  # the source was never written

    # nothing lost: every legacy row is here (events: plus the end events written for closed sessions)
    assert _count(app, projects, projects.c.id != SENTINEL_PROJECT_ID) == source_before["projects"][0]
    assert _count(app, sessions) == source_before["sessions"][0]
    assert _count(app, contexts) == source_before["contexts"][0]
    synthesized = report.tables["sessions"].notes.get("end events written for closed sessions", 0)
    assert _count(app, analytics_events) == source_before["analytics_events"][0] + synthesized
    assert (
        report.tables["analytics_events"].notes["for a missing session (kept, unlinked)"]
        == data.events_for_deleted_sessions
    )

    # orphans arrive Unassigned and marked, never silently given a project
    for sid in [*data.single_evidence, *data.mixed_evidence, *data.no_evidence]:
        session = app.sessions.get(sid)
        assert session.is_unassigned and session.metadata["legacy_orphan"] is True
    for sid, project in data.assigned.items():
        assert _project_of(app, sid) == project
    for sid in data.stranded_active:
        assert app.sessions.get(sid).status == "interrupted"
    for sid in data.recent_active:
        assert app.sessions.get(sid).status == "active"

    result = app.backfill.run()
    assert result.assigned == len(data.single_evidence)
    for sid, project in data.single_evidence.items():
        assert _project_of(app, sid) == project
        change = app.sessions.detail(sid).changes[-1]
        assert (change.reason, change.run_id) == ("backfill", result.run_id)
        assert change.details["evidence"] == change.details["evidence_total"] >= 2
    for sid in [*data.mixed_evidence, *data.majority_evidence, *data.no_evidence]:
        assert _project_of(app, sid) == SENTINEL_PROJECT_ID

    check = app.integrity.check()
    assert check.clean, {c.name: (c.violations, c.samples) for c in check.checks if c.violations}
    with app.engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(sessions).where(sessions.c.project_id.is_(None))
            ).scalar_one()
            == 0
        )


def test_second_import_brings_nothing_new(app: AppContext, legacy: tuple[str, LegacyData]) -> None:
    url, _ = legacy
    app.importer.run(url)
    before = row_counts(app.engine)
    again = app.importer.run(url)
    assert all(t.imported == 0 and t.already == t.source for t in again.tables.values())
    assert row_counts(app.engine) == before


def test_dry_run_reports_the_same_and_writes_nothing(app: AppContext, legacy: tuple[str, LegacyData]) -> None:
    url, _ = legacy
    before = row_counts(app.engine)
    dry = app.importer.run(url, dry_run=True)
    assert row_counts(app.engine) == before
    real = app.importer.run(url)
    assert {t: s.imported for t, s in dry.tables.items()} == {t: s.imported for t, s in real.tables.items()}


def test_a_project_name_taken_here_is_imported_under_a_new_name(
    app: AppContext, legacy: tuple[str, LegacyData]
) -> None:
    url, data = legacy
    mine = app.projects.create("alpha")
    report = app.importer.run(url)
    assert (
        report.tables["projects"].notes["renamed (name taken)"] == 2
    )  # alpha, and the one called "unassigned"
    assert app.projects.get("alpha").id == mine.id
    assert app.projects.get(str(data.projects["alpha"])).name.startswith("alpha (legacy ")


def test_backfill_min_share_adopts_a_clear_majority(app: AppContext, legacy: tuple[str, LegacyData]) -> None:
    url, data = legacy
    app.importer.run(url)
    app.backfill.run(min_share=0.75)
    for sid, project in data.majority_evidence.items():
        assert _project_of(app, sid) == project
    for sid in data.mixed_evidence:  # a 50/50 split never picks a project
        assert _project_of(app, sid) == SENTINEL_PROJECT_ID
    assert app.integrity.check().clean


def test_backfill_dry_run_changes_nothing(app: AppContext, legacy: tuple[str, LegacyData]) -> None:
    url, data = legacy
    app.importer.run(url)
    before = row_counts(app.engine)
    result = app.backfill.run(dry_run=True)
    assert result.assigned == len(data.single_evidence)
    assert row_counts(app.engine) == before


def test_backfill_revert_restores_and_records(
    app: AppContext, legacy: tuple[str, LegacyData], clock: FakeClock
) -> None:
    url, data = legacy
    app.importer.run(url)
    result = app.backfill.run()
    clock.advance(minutes=1)
    moved_elsewhere = next(iter(data.single_evidence))
    app.sessions.assign(
        moved_elsewhere,
        str(data.projects["gamma"])
        if data.single_evidence[moved_elsewhere] != data.projects["gamma"]
        else str(data.projects["alpha"]),
    )
    clock.advance(minutes=1)
    reverted = app.backfill.revert(result.run_id)
    assert reverted == len(data.single_evidence) - 1  # the session a person moved since is left alone
    for sid in data.single_evidence:
        if sid != moved_elsewhere:
            assert _project_of(app, sid) == SENTINEL_PROJECT_ID
    assert (
        _count(app, session_project_changes, session_project_changes.c.reason == "backfill_revert")
        == reverted
    )
    with pytest.raises(InvalidInput):
        app.backfill.revert(result.run_id)
    with pytest.raises(NotFound):
        app.backfill.revert("backfill-nope")
    assert app.integrity.check().clean


def test_source_must_be_a_typescript_aidis_database(app: AppContext, engine_name: str) -> None:
    require_engine("postgresql")
    url = create_pg_database("aidis_not_legacy")
    try:
        with pytest.raises(InvalidInput) as info:
            app.importer.run(url)
        assert info.value.field == "projects"
        with pytest.raises(InvalidInput) as info:
            app.importer.run("sqlite:///tmp/x.db")
        assert info.value.field == "source_url"
    finally:
        drop_pg_database(url)


@pytest.fixture
def legacy_with_sentinel(clock: FakeClock) -> Iterator[tuple[str, LegacyData]]:
    require_engine("postgresql")
    clock.now = NOW
    url = create_pg_database("aidis_legacy")
    try:
        yield url, populate(url, now=NOW, sentinel_sessions=6)
    finally:
        drop_pg_database(url)


async def test_the_legacy_sentinel_maps_onto_unassigned_and_backfill_considers_its_sessions(
    app: AppContext, legacy_with_sentinel: tuple[str, LegacyData]
) -> None:
    import httpx

    from aidis.web.app import create_web_app

    url, data = legacy_with_sentinel
    report = app.importer.run(url)
    assert all(t.reconciled for t in report.tables.values())
    assert report.tables["projects"].notes["legacy sentinel mapped onto Unassigned"] == 1
    with app.engine.connect() as conn:
        names = set(conn.execute(select(projects.c.name)).scalars())
        orphan_flags = {
            row.id: row.metadata.get("legacy_orphan")
            for row in conn.execute(
                select(sessions.c.id, sessions.c.metadata).where(sessions.c.id.in_(data.in_legacy_sentinel))
            )
        }
    assert not [n for n in names if "legacy 00000000" in n]  # no fake project
    assert all(_project_of(app, sid) == SENTINEL_PROJECT_ID for sid in data.in_legacy_sentinel)
    assert set(orphan_flags.values()) == {True}
    null_orphans = report.tables["sessions"].notes["orphans (NULL project) → Unassigned"]
    assert report.tables["sessions"].notes["orphans (legacy sentinel) → Unassigned"] == 6

    web = create_web_app(app, run_maintenance=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://127.0.0.1:8765"
    ) as http:
        listed = (await http.get("/api/v1/sessions", params={"unassigned": "true", "limit": 1})).json()
        stats = (await http.get("/api/v1/stats")).json()
    assert listed["total"] == null_orphans + 6
    assert app.stats.totals()["unassigned_sessions"] == null_orphans + 6
    assert stats["total"] == _count(app, sessions)

    app.backfill.run(min_share=1.0)
    for sid, project in data.legacy_sentinel_evidence.items():
        assert _project_of(app, sid) == _local_project(app, project)
    for sid in set(data.in_legacy_sentinel) - set(data.legacy_sentinel_evidence):
        assert _project_of(app, sid) == SENTINEL_PROJECT_ID
    assert app.integrity.check().clean


def _local_project(app: AppContext, legacy_id: uuid.UUID) -> uuid.UUID:
    with app.engine.connect() as conn:
        return conn.execute(select(projects.c.id).where(projects.c.id == legacy_id)).scalar_one()
