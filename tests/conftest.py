"""Fixtures: `db` runs every DB-backed test on SQLite and on PostgreSQL."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from aidis.app import AppContext, build_app
from aidis.config import Settings
from aidis.db.engine import build_engine
from aidis.db.migrate import upgrade
from aidis.services.projects.resolver import WorkspaceResolver
from tests.gitrepos import require_git
from tests.support import (
    REQUIRE_POSTGRES,
    Database,
    FakeClock,
    create_pg_database,
    drop_pg_database,
    postgres_available,
)

ENGINES = ["sqlite", "postgresql"]


def require_engine(engine_name: str) -> None:
    """Skip loudly (or fail, in CI) when PostgreSQL is missing."""
    if engine_name != "postgresql":
        return
    reason = postgres_available()
    if reason is None:
        return
    if REQUIRE_POSTGRES:
        pytest.fail(f"AIDIS_REQUIRE_POSTGRES is set but {reason}", pytrace=False)
    warnings.warn(f"SKIPPING the PostgreSQL half of the suite: {reason}", stacklevel=1)
    pytest.skip(f"PostgreSQL half skipped: {reason}")


@pytest.fixture(scope="session")
def _databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Database]]:
    made: dict[str, Database] = {}
    yield made
    for database in made.values():
        database.engine.dispose()
        if database.engine_name == "postgresql":
            drop_pg_database(database.url)


@pytest.fixture(params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    """The database engine this test runs on."""
    name: str = request.param
    require_engine(name)
    return name


@pytest.fixture
def db(
    engine_name: str, _databases: dict[str, Database], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A migrated, empty database (one per engine per test run, emptied before each test)."""
    yield _database(engine_name, _databases, tmp_path_factory)


def _database(
    engine_name: str, databases: dict[str, Database], tmp_path_factory: pytest.TempPathFactory
) -> Database:
    if engine_name not in databases:
        if engine_name == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'aidis.db'}"
        else:
            url = create_pg_database()
        engine = build_engine(url)
        upgrade(engine)
        databases[engine_name] = Database(engine_name, url, engine)
    database = databases[engine_name]
    database.reset()
    return database


@pytest.fixture
def both_apps(
    _databases: dict[str, Database],
    tmp_path_factory: pytest.TempPathFactory,
    clock: FakeClock,
    tmp_path: Path,
) -> Iterator[dict[str, AppContext]]:
    """One app per engine in the same test, to compare what the engines answer."""
    apps: dict[str, AppContext] = {}
    for name in ENGINES:
        require_engine(name)
        database = _database(name, _databases, tmp_path_factory)
        settings = Settings(data_dir=tmp_path / name, database_url=database.url)
        apps[name] = build_app(settings, migrate=False, clock=clock)
    yield apps
    for context in apps.values():
        context.close()


@pytest.fixture
def clock() -> FakeClock:
    """A clock the test moves by hand."""
    return FakeClock()


@pytest.fixture
def home(tmp_path: Path, app: AppContext) -> Path:
    """A home-like folder for workspace tests: the app's resolver treats it as the user's home
    (so the real home and the checkout the suite runs in never decide a project)."""
    require_git()
    folder = (tmp_path / "home").resolve()
    folder.mkdir()
    app.sessions.resolver = WorkspaceResolver(auto_projects=True, home=folder)
    return folder


@pytest.fixture
def app(db: Database, clock: FakeClock, tmp_path: Path) -> Iterator[AppContext]:
    """An AppContext on the `db` database with the fake clock."""
    settings = Settings(data_dir=tmp_path, database_url=db.url)
    context = build_app(settings, migrate=False, clock=clock)
    yield context
    context.close()
