"""PostgreSQL row-level security is the backstop under every service check: with the application's
checks switched off (as a bug in a new code path would), a person's transaction still sees and changes
only their projects' rows. SQLite has no row security; there the service checks (tested on both
engines in tests/services/access) are the only guard, which docs/team.md says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from aidis.app import AppContext, build_app
from aidis.config import Settings
from aidis.db.schema import contexts, sessions
from aidis.enums import SearchMode, Surface
from aidis.errors import AidisError
from aidis.repositories.row_security import act_for
from aidis.services.caller import Caller
from aidis.services.memory import reads as reads_module
from aidis.services.memory.reads import ContextQuery
from aidis.services.principal import Principal, acting_as
from tests.conftest import _database, require_engine
from tests.support import Database, FakeClock


@pytest.fixture
def pg_app(
    _databases: dict[str, Database],
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    clock: FakeClock,
) -> Iterator[AppContext]:
    require_engine("postgresql")
    database = _database("postgresql", _databases, tmp_path_factory)
    app = build_app(
        Settings(data_dir=tmp_path, database_url=database.url, embedding_model="off"),
        migrate=False,
        clock=clock,
    )
    yield app
    app.close()


@pytest.fixture
def ada(pg_app: AppContext) -> Principal:
    """ada reads alpha, writes beta; gamma is not hers."""
    for name in ("alpha", "beta", "gamma"):
        pg_app.projects.create(name)
        pg_app.contexts.store(Caller(connection_id=f"seed-{name}"), f"{name} rollout checklist", project=name)
    pg_app.team.add_user("ada")
    pg_app.team.grant("alpha", "read", user="ada")
    pg_app.team.grant("beta", "write", user="ada")
    return pg_app.team.authenticate(pg_app.team.create_token("ada")[1], surface=Surface.API)


def test_the_member_role_exists_and_policies_are_on(pg_app: AppContext) -> None:
    with pg_app.engine.connect() as conn:
        assert conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = 'aidis_member'")).scalar() == 1
        secured = set(
            conn.execute(
                text("SELECT relname FROM pg_class WHERE relrowsecurity AND relkind = 'r'")
            ).scalars()
        )
    assert {"projects", "sessions", "contexts", "context_revisions", "analytics_events"} <= secured


def test_raw_sql_acting_for_a_person_sees_and_changes_only_their_rows(
    pg_app: AppContext, ada: Principal
) -> None:
    names = {s.project.id: s.project.name for s in pg_app.projects.list()}
    with pg_app.engine.connect() as conn:  # as the system: one revision in each project
        every = conn.execute(select(contexts.c.id, contexts.c.project_id)).all()
    for context_id, _ in every:
        pg_app.context_edits.update(None, context_id, content="rewritten checklist")
    beta = next(p for p, n in names.items() if n == "beta")
    with pg_app.engine.connect() as conn:
        betas_revisions = conn.execute(
            text(
                "SELECT count(*) FROM context_revisions r JOIN contexts c ON c.id = r.context_id "
                "WHERE c.project_id = :p"
            ),
            {"p": beta},
        ).scalar_one()
        assert conn.execute(text("SELECT count(*) FROM context_revisions")).scalar_one() > betas_revisions > 0
    with pg_app.engine.begin() as conn:
        act_for(
            conn,
            ada.user_id,
            readable=[p for p in names if ada.role_in(p) is not None and names[p] != "Unassigned"],
            writable=[p for p in names if names[p] == "beta"],
        )
        seen = {names[row.project_id] for row in conn.execute(select(contexts.c.project_id))}
        assert seen == {"alpha", "beta"}
        changed = conn.execute(update(contexts).values(tags=["touched"]))
        assert changed.rowcount == 1  # beta's only: alpha is read-only, gamma invisible
        assert conn.execute(text("DELETE FROM context_revisions")).rowcount == betas_revisions  # beta's only
        assert conn.execute(text("DELETE FROM contexts")).rowcount == 1
        assert {names[p] for p in conn.execute(select(sessions.c.project_id)).scalars()} <= {"alpha", "beta"}
        conn.rollback()
    gamma = next(p for p, n in names.items() if n == "gamma")
    with pg_app.engine.begin() as conn:
        act_for(conn, ada.user_id, readable=[], writable=[])
        with pytest.raises(DBAPIError, match="row-level security"):
            conn.execute(
                text(
                    "INSERT INTO contexts (id, project_id, context_type, content, content_hash, created_at) "
                    "SELECT gen_random_uuid(), :p, 'note', 'sneaked in', 'x', now()"
                ),
                {"p": gamma},
            )


def test_with_the_service_checks_switched_off_the_database_still_refuses(
    pg_app: AppContext, ada: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reads_module, "readable_filter", lambda ids: ids)  # "forgot" to narrow
    monkeypatch.setattr(reads_module, "require", lambda *a, **k: None)  # "forgot" to check
    monkeypatch.setattr(reads_module, "may_read", lambda conn, context: True)
    with acting_as(ada, "search"):
        page = pg_app.context_reads.search(
            None, "rollout checklist", ContextQuery(all_projects=True), mode=SearchMode.KEYWORD
        )
        assert {hit.project_name for hit in page.items} == {"alpha", "beta"}
        listed = pg_app.context_reads.recent(None, ContextQuery(all_projects=True), limit=50)
        assert {hit.project_name for hit in listed.items} == {"alpha", "beta"}
    with pg_app.engine.connect() as conn:
        gamma_context = conn.execute(
            select(contexts.c.id).where(contexts.c.content == "gamma rollout checklist")
        ).scalar_one()
    with acting_as(ada, "get"), pytest.raises(AidisError):
        pg_app.context_reads.get([gamma_context])


def test_a_person_writes_grants_only_in_projects_they_administer(pg_app: AppContext, ada: Principal) -> None:
    names = {s.project.name: s.project.id for s in pg_app.projects.list()}
    pg_app.team.add_user("cy")
    grant = (
        "INSERT INTO project_grants (project_id, user_id, role, created_at) "
        "SELECT :p, u.id, 'read', now() FROM users u WHERE u.name = 'cy'"
    )
    with pg_app.engine.begin() as conn:
        act_for(
            conn,
            ada.user_id,
            readable=[names["beta"]],
            writable=[names["beta"]],
            administrable=[names["beta"]],
        )
        assert conn.execute(text(grant), {"p": names["beta"]}).rowcount == 1  # cy is visible to an admin
        with pytest.raises(DBAPIError, match="row-level security"):
            conn.execute(text(grant), {"p": names["gamma"]})
        conn.rollback()
    with pg_app.engine.begin() as conn:
        act_for(conn, ada.user_id, readable=[names["beta"]], writable=[names["beta"]])  # writes, no admin
        assert conn.execute(text(grant), {"p": names["beta"]}).rowcount == 0  # nobody else is visible
        assert conn.execute(text("DELETE FROM project_grants")).rowcount == 0
        conn.rollback()
