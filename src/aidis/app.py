"""AppContext: settings + engine + services, built once and handed to every surface."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from aidis.config import Settings
from aidis.db.engine import build_engine
from aidis.db.migrate import upgrade
from aidis.db.types import utcnow
from aidis.services.backfill import BackfillService
from aidis.services.base import Clock
from aidis.services.contexts import ContextService
from aidis.services.importing import LegacyImporter
from aidis.services.integrity import IntegrityService
from aidis.services.projects import ProjectService
from aidis.services.sessions import SessionService
from aidis.services.stats import StatsService


@dataclass
class AppContext:
    """Everything a surface needs; surfaces never reach past it to the database."""

    settings: Settings
    engine: Engine
    clock: Clock
    projects: ProjectService
    sessions: SessionService
    stats: StatsService
    contexts: ContextService
    backfill: BackfillService
    integrity: IntegrityService
    importer: LegacyImporter

    @property
    def idle_timeout(self) -> timedelta:
        """How long a session may sit idle before it is timed out."""
        return timedelta(minutes=self.settings.idle_timeout_minutes)

    @property
    def engine_name(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()


def build_app(settings: Settings, *, migrate: bool = True, clock: Clock = utcnow) -> AppContext:
    """Build the engine and services from settings, migrating the database first by default."""
    engine = build_engine(settings.resolved_database_url())
    if migrate:
        upgrade(engine)
    sessions = SessionService(engine, clock)
    idle_timeout = timedelta(minutes=settings.idle_timeout_minutes)
    return AppContext(
        settings=settings,
        engine=engine,
        clock=clock,
        projects=ProjectService(engine, clock),
        sessions=sessions,
        stats=StatsService(engine, clock),
        contexts=ContextService(engine, clock, sessions),
        backfill=BackfillService(engine, clock),
        integrity=IntegrityService(engine, clock, sessions, idle_timeout),
        importer=LegacyImporter(engine, clock, idle_timeout),
    )
