"""Below the application, on PostgreSQL, as an attacker holding a member transaction would try it (raw
SQL, as psql would send it): connections, the hook ledger, connection links and the display counter
show a person only their own rows; the audit trail cannot be deleted by setting `aidis.audit_retention`;
and with AIDIS logged in as its runtime role (`aidis db runtime-role`: not superuser, not owner, no
BYPASSRLS), `RESET ROLE` inside a member transaction gains nothing, while the server itself still
works. (SQLite has no roles: there the service checks are the guard.)"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from aidis.app import AppContext, build_app
from aidis.cli.main import cli
from aidis.config import Settings
from aidis.db.schema import audit_log
from aidis.enums import Surface
from aidis.repositories.row_security import act_for
from aidis.services.caller import Caller
from aidis.services.principal import Principal, acting_as
from tests.conftest import _database, require_engine
from tests.support import Database, FakeClock


@pytest.fixture
def pg(
    _databases: dict[str, Database],
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    clock: FakeClock,
) -> Iterator[tuple[Database, AppContext]]:
    require_engine("postgresql")
    database = _database("postgresql", _databases, tmp_path_factory)
    app = build_app(
        Settings(data_dir=tmp_path, database_url=database.url, embedding_model="off"),
        migrate=False,
        clock=clock,
    )
    yield database, app
    app.close()


@pytest.fixture
def two(pg: tuple[Database, AppContext]) -> dict[str, Principal]:
    """ada writes alpha, bob writes beta; each has opened a connection and a hook session of their own."""
    _, app = pg
    for name in ("alpha", "beta"):
        app.projects.create(name)
    for person, project in (("ada", "alpha"), ("bob", "beta")):
        app.team.add_user(person)
        app.team.grant(project, "write", user=person)
    people = {
        p: app.team.authenticate(app.team.create_token(p)[1], surface=Surface.HOOKS) for p in ("ada", "bob")
    }
    for person, who in people.items():
        record = {
            "id": uuid.uuid4().hex,
            "agent": "claude-code",
            "payload": {"session_id": f"agent-{person}", "cwd": "/", "hook_event_name": "SessionStart"},
        }
        with acting_as(who, "hook"):
            app.hooks.apply(record)
    return people


def _member(conn, who: Principal) -> None:  # type: ignore[no-untyped-def]
    act_for(conn, who.user_id, who.projects(), who.projects(), who.projects())


def test_a_member_sees_only_their_own_connections_ledger_and_links(
    pg: tuple[Database, AppContext], two: dict[str, Principal]
) -> None:
    _, app = pg
    with app.engine.begin() as conn:
        _member(conn, two["ada"])
        ids = conn.execute(text("SELECT id FROM connections")).scalars().all()
        ledger = conn.execute(text("SELECT agent_session_id FROM hook_events")).scalars().all()
        assert ids and all(i.startswith(f"u:{two['ada'].user_id}/") for i in ids)
        assert ledger == ["agent-ada"]  # bob's agent session id is not hers to read
        assert conn.execute(text("SELECT count(*) FROM session_counters")).scalar_one() == 0
        with pytest.raises(DBAPIError, match="row-level security"):
            conn.execute(
                text(
                    "INSERT INTO connection_links (connection_id, successor_id, linked_at, reason) VALUES (:a, :b, now(), 'x')"
                ),
                {"a": f"u:{two['bob'].user_id}/claude-code:agent-bob", "b": f"u:{two['ada'].user_id}/mine"},
            )


def test_setting_the_retention_flag_deletes_no_audit_row(
    pg: tuple[Database, AppContext], two: dict[str, Principal]
) -> None:
    _, app = pg
    app.audit.flush()
    with app.engine.connect() as conn:
        before = conn.execute(select(audit_log.c.id)).all()
    assert before
    with app.engine.begin() as conn:
        _member(conn, two["ada"])
        conn.execute(text("SELECT set_config('aidis.audit_retention', 'on', true)"))
        with pytest.raises(DBAPIError, match="permission denied"):
            conn.execute(text("DELETE FROM audit_log"))
    with app.engine.begin() as conn:
        _member(conn, two["ada"])
        with pytest.raises(DBAPIError, match="permission denied"):
            conn.execute(text("SELECT aidis_prune_audit(now())"))
    with app.engine.connect() as conn:
        assert conn.execute(select(audit_log.c.id)).all() == before


@pytest.fixture
def runtime(pg: tuple[Database, AppContext], tmp_path: Path, clock: FakeClock) -> Iterator[AppContext]:
    """The app logged in as a runtime role made by `aidis db runtime-role` (dropped afterwards)."""
    database, _ = pg
    name = f"aidis_rt_{uuid.uuid4().hex[:10]}"
    made = CliRunner().invoke(cli, ["db", "runtime-role", name], env={"AIDIS_DATABASE_URL": database.url})
    assert made.exit_code == 0, made.output
    url = database.url.replace("postgres@", f"{name}@", 1)
    app = build_app(
        Settings(data_dir=tmp_path / "rt", database_url=url, embedding_model="off"),
        migrate=False,
        clock=clock,
    )
    try:
        yield app
    finally:
        app.close()
        owner = create_engine(database.url.replace("postgresql://", "postgresql+psycopg://", 1))
        with owner.begin() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {name}")
            conn.exec_driver_sql(f"DROP ROLE {name}")
        owner.dispose()


def test_the_runtime_role_serves_and_reset_role_gains_nothing(
    runtime: AppContext, two: dict[str, Principal]
) -> None:
    from aidis.services.operations.db_roles import DatabaseRoleService

    assert DatabaseRoleService(runtime.engine).privilege_warning() is None  # a proper runtime login
    stored = runtime.contexts.store(Caller("ops"), "alpha note made by the server", project="alpha")
    with acting_as(None):
        assert runtime.audit.prune(runtime.clock()) >= 0  # retention works through the function
    ada = two["ada"]
    with runtime.engine.begin() as conn:
        _member(conn, ada)
        as_member = conn.execute(text("SELECT count(*) FROM sessions")).scalar_one()
        conn.execute(text("RESET ROLE"))
        assert conn.execute(text("SELECT current_user")).scalar_one() == runtime.engine.url.username
        assert conn.execute(text("SELECT count(*) FROM sessions")).scalar_one() == as_member
        assert conn.execute(text("SELECT count(*) FROM hook_events")).scalar_one() == 1  # hers only
        conn.execute(text("SELECT set_config('aidis.audit_retention', 'on', true)"))
        with pytest.raises(DBAPIError, match="permission denied"):
            conn.execute(text("DELETE FROM audit_log"))
    with runtime.engine.begin() as conn:
        _member(conn, ada)
        conn.execute(text("RESET ROLE"))
        with pytest.raises(DBAPIError):
            conn.execute(text("SET row_security = off"))
            conn.execute(text("SELECT count(*) FROM contexts")).scalar_one()
    assert stored.context.project_name == "alpha"


def test_serve_warns_when_a_team_server_runs_as_superuser(pg: tuple[Database, AppContext]) -> None:
    from aidis.cli.db_roles import team_privilege_warning

    _, app = pg
    assert team_privilege_warning(app) is None  # no users: nothing to warn of
    app.team.add_user("ada")
    warning = team_privilege_warning(app)
    assert warning is not None and "superuser" in warning and "runtime-role" in warning


def test_runtime_role_input_is_checked_by_name(pg: tuple[Database, AppContext]) -> None:
    database, _ = pg
    for bad in ("Robert'); DROP TABLE sessions;--", "UPPER", ""):
        refused = CliRunner().invoke(
            cli, ["db", "runtime-role", bad, "--print-sql"], env={"AIDIS_DATABASE_URL": database.url}
        )
        assert refused.exit_code == 2 and "role name" in refused.output, refused.output
    shown = CliRunner().invoke(
        cli, ["db", "runtime-role", "aidis_app", "--print-sql"], env={"AIDIS_DATABASE_URL": database.url}
    )
    assert shown.exit_code == 0 and "NOSUPERUSER" in shown.output and "NOBYPASSRLS" in shown.output
