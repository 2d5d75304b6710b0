"""AppContext: settings + engine + services, built once and handed to every surface."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from opentelemetry import trace
from opentelemetry.trace import TracerProvider
from sqlalchemy import Engine

from aidis import __version__
from aidis.config import Settings
from aidis.db.engine import build_engine
from aidis.db.types import utcnow
from aidis.errors import AidisError
from aidis.services.backfill import BackfillService
from aidis.services.base import Clock
from aidis.services.context_edits import ContextEditService
from aidis.services.context_reads import ContextReadService
from aidis.services.contexts import ContextService
from aidis.services.export_imports import ExportImporter
from aidis.services.exports import ExportService
from aidis.services.hooks import HookService
from aidis.services.importing import LegacyImporter
from aidis.services.integrity import IntegrityService
from aidis.services.project_merges import ProjectMergeService
from aidis.services.project_workspaces import ProjectWorkspaceService
from aidis.services.projects import ProjectService
from aidis.services.redaction import Redactor
from aidis.services.retention import RetentionService
from aidis.services.schema import SchemaService
from aidis.services.session_context import SessionContextService
from aidis.services.session_summaries import SessionSummaryService
from aidis.services.sessions import SessionService
from aidis.services.stats import StatsService
from aidis.services.triage import TriageService
from aidis.services.workspaces import WorkspaceResolver
from aidis.telemetry import Metrics, Telemetry, install_commit_hooks


@dataclass
class AppContext:
    """Everything a surface needs; surfaces never reach past it to the database."""

    settings: Settings
    engine: Engine
    clock: Clock
    telemetry: Telemetry
    projects: ProjectService
    sessions: SessionService
    stats: StatsService
    contexts: ContextService
    context_reads: ContextReadService
    context_edits: ContextEditService
    exports: ExportService
    export_importer: ExportImporter
    retention: RetentionService
    backfill: BackfillService
    integrity: IntegrityService
    importer: LegacyImporter
    schema: SchemaService
    workspaces: ProjectWorkspaceService
    merges: ProjectMergeService
    triage: TriageService
    hooks: HookService
    session_context: SessionContextService
    summaries: SessionSummaryService

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


def build_app(
    settings: Settings,
    *,
    migrate: bool = True,
    clock: Clock = utcnow,
    tracer_provider: TracerProvider | None = None,
) -> AppContext:
    """Build the engine and services from settings, migrating the database first by default.

    Tracing goes to `tracer_provider`, else to the globally configured one (no-op unless
    OTEL_EXPORTER_OTLP_ENDPOINT is set, see `aidis.telemetry`).
    """
    engine = build_engine(
        settings.resolved_database_url(), sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    schema = SchemaService(engine)
    if migrate:
        try:
            schema.upgrade()
        except AidisError:
            engine.dispose()
            raise
    install_commit_hooks(engine)
    provider = tracer_provider or trace.get_tracer_provider()
    telemetry = Telemetry(
        tracer=provider.get_tracer("aidis", __version__),
        metrics=Metrics(max_projects=settings.metrics_max_projects),
    )
    sessions = SessionService(engine, clock, telemetry)
    projects = ProjectService(engine, clock, telemetry)
    sessions.resolver = WorkspaceResolver(auto_projects=settings.auto_projects)
    sessions.redactor = Redactor(settings.redaction)
    idle_timeout = timedelta(minutes=settings.idle_timeout_minutes)
    stats = StatsService(engine, clock, telemetry)
    telemetry.metrics.watch_database(stats.totals)
    return AppContext(
        settings=settings,
        engine=engine,
        clock=clock,
        telemetry=telemetry,
        projects=projects,
        sessions=sessions,
        stats=stats,
        contexts=ContextService(
            engine, clock, sessions, duplicate_window=timedelta(hours=settings.duplicate_window_hours)
        ),
        context_reads=ContextReadService(engine, clock, telemetry),
        context_edits=ContextEditService(engine, clock, sessions),
        exports=ExportService(engine, clock, telemetry),
        export_importer=ExportImporter(engine, clock, telemetry),
        retention=RetentionService(engine, clock, telemetry),
        backfill=BackfillService(engine, clock, telemetry),
        integrity=IntegrityService(engine, clock, sessions, idle_timeout),
        importer=LegacyImporter(engine, clock, idle_timeout),
        schema=schema,
        workspaces=ProjectWorkspaceService(engine, clock, telemetry),
        merges=ProjectMergeService(engine, clock, telemetry),
        triage=TriageService(sessions, projects),
        hooks=HookService(sessions),
        session_context=SessionContextService(engine, clock, telemetry),
        summaries=SessionSummaryService(sessions),
    )
