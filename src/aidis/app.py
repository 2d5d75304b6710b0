"""AppContext: settings + engine + services, built once and handed to every surface.

Invariant: one AppContext per process, and every surface reaches the database only through its
services. The services a tool call uses are built with the app; the back-office ones (export, import,
retention, backfill, check, merges, triage, hooks) are built on first use, so `aidis mcp` — started
by every agent, and waited for — does not import them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property, partial
from typing import TYPE_CHECKING, TypeVar

from opentelemetry import trace
from opentelemetry.trace import TracerProvider
from sqlalchemy import Engine

from aidis import __version__
from aidis.config import Settings
from aidis.db.engine import build_engine
from aidis.db.types import utcnow
from aidis.errors import AidisError, InvalidInput
from aidis.services.access.audit import AuditTrail
from aidis.services.access.install_secret import install_secret
from aidis.services.access.session_handles import SessionHandles
from aidis.services.access.team import TeamService
from aidis.services.base import Clock, ServiceBase
from aidis.services.handover.context import SessionContextService
from aidis.services.handover.files import HandoverFiles
from aidis.services.memory.edits import ContextEditService
from aidis.services.memory.reads import ContextReadService
from aidis.services.memory.recall import RecallService, RecallSettings
from aidis.services.memory.store import ContextService
from aidis.services.operations.schema import SchemaService
from aidis.services.operations.stats import StatsService
from aidis.services.projects.catalog import ProjectService
from aidis.services.projects.resolver import WorkspaceResolver
from aidis.services.projects.roots import ProjectWorkspaceService
from aidis.services.search import Embedder, HybridRanker
from aidis.services.sessions.activity_reads import ActivityReadService
from aidis.services.sessions.lifecycle import SessionService
from aidis.services.sessions.summaries import SessionSummaryService
from aidis.services.text.redaction import Redactor
from aidis.telemetry import Metrics, Telemetry, install_commit_hooks

if TYPE_CHECKING:
    from aidis.services.access.identity_provider import IdentityProvider
    from aidis.services.agents.history import HistoryImport
    from aidis.services.agents.hook_events import HookService
    from aidis.services.memory.exports import ExportService
    from aidis.services.memory.imports import ExportImporter
    from aidis.services.memory.retention import RetentionService
    from aidis.services.operations.backfill import BackfillService
    from aidis.services.operations.integrity import IntegrityService
    from aidis.services.operations.legacy_import import LegacyImporter
    from aidis.services.operations.triage import TriageService
    from aidis.services.projects.merges import ProjectMergeService
    from aidis.services.usage.reports import UsageService


S = TypeVar("S", bound=ServiceBase)


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
    recall: RecallService
    context_edits: ContextEditService
    schema: SchemaService
    workspaces: ProjectWorkspaceService
    session_context: SessionContextService
    summaries: SessionSummaryService
    activity: ActivityReadService
    handovers: HandoverFiles
    embedder: Embedder
    team: TeamService
    audit: AuditTrail
    session_handles: SessionHandles
    identity_provider: IdentityProvider | None = None  # single sign-on, when AIDIS_OIDC_ISSUER is set

    async def get(self) -> AppContext:
        """This app: an AppContext is its own `AppSource` (see aidis.mcp.toolkit)."""
        return self

    @property
    def idle_timeout(self) -> timedelta:
        """How long a session may sit idle before it is timed out."""
        return timedelta(minutes=self.settings.idle_timeout_minutes)

    @property
    def engine_name(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    @cached_property
    def exports(self) -> ExportService:
        """Exports to JSON lines or Markdown."""
        from aidis.services.memory.exports import ExportService

        return self._wired(ExportService(self.engine, self.clock, self.telemetry))

    @cached_property
    def export_importer(self) -> ExportImporter:
        """Imports of AIDIS exports."""
        from aidis.services.memory.imports import ExportImporter

        return self._wired(ExportImporter(self.engine, self.clock, self.telemetry))

    @cached_property
    def retention(self) -> RetentionService:
        """Pruning of old contexts and events."""
        from aidis.services.memory.retention import RetentionService

        return self._wired(RetentionService(self.engine, self.clock, self.telemetry))

    @cached_property
    def backfill(self) -> BackfillService:
        """Attribution of orphan sessions from their evidence."""
        from aidis.services.operations.backfill import BackfillService

        return self._wired(BackfillService(self.engine, self.clock, self.telemetry))

    @cached_property
    def integrity(self) -> IntegrityService:
        """`aidis check`: the invariants, verified (and repaired)."""
        from aidis.services.operations.integrity import IntegrityService

        return self._wired(
            IntegrityService(self.engine, self.clock, self.sessions, self.idle_timeout, self.embedder)
        )

    @cached_property
    def importer(self) -> LegacyImporter:
        """Imports from the TypeScript AIDIS."""
        from aidis.services.operations.legacy_import import LegacyImporter

        return self._wired(LegacyImporter(self.engine, self.clock, self.idle_timeout))

    @cached_property
    def merges(self) -> ProjectMergeService:
        """Project merges."""
        from aidis.services.projects.merges import ProjectMergeService

        return self._wired(ProjectMergeService(self.engine, self.clock, self.telemetry))

    @cached_property
    def triage(self) -> TriageService:
        """The Unassigned triage queue."""
        from aidis.services.operations.triage import TriageService

        return self._wired(TriageService(self.sessions, self.projects))

    @cached_property
    def history(self) -> HistoryImport:
        """Sessions imported from the agents' own transcripts (`aidis import-history`)."""
        from aidis.services.agents.history import HistoryImport

        return self._wired(HistoryImport(self.sessions))

    @cached_property
    def usage(self) -> UsageService:
        """Tokens and cost reports (prices: the bundled data under AIDIS_PRICES_FILE's own)."""
        from aidis.services.usage.prices import PriceBook
        from aidis.services.usage.reports import UsageService

        service = self._wired(UsageService(self.engine, self.clock, self.telemetry))
        service.prices = PriceBook.from_file(self.settings.prices_file)
        service.day_zones = self.settings.usage_zones
        return service

    @cached_property
    def hooks(self) -> HookService:
        """Agent lifecycle hooks (Claude Code, Codex, Gemini CLI)."""
        from aidis.services.agents.hook_events import HookService

        return self._wired(HookService(self.sessions, capture_activity=self.settings.capture))

    def _wired(self, service: S) -> S:
        """A service announcing its committed changes to the prepared hand-overs and the embedder, and
        its reads and changes to the audit trail."""
        service.changes = AppChanges(self.handovers, self.embedder)
        service.audit = self.audit
        return service

    def close(self) -> None:
        """Stop the embedder, write the audit's batch and what the prepared hand-overs still owe,
        release connections."""
        self.embedder.close()
        self.audit.close()
        self.handovers.flush()
        self.engine.dispose()


class AppChanges:
    """The app's change feed: hand-overs hear of what they show, the embedder of new texts."""

    def __init__(self, handovers: HandoverFiles, embedder: Embedder) -> None:
        self.handovers = handovers
        self.embedder = embedder

    def project_changed(self, project_id: uuid.UUID) -> None:
        """A project's hand-over is out of date."""
        self.handovers.project_changed(project_id)

    def workspaces_changed(self) -> None:
        """The folder-to-project map may have changed."""
        self.handovers.workspaces_changed()

    def everything_changed(self) -> None:
        """A bulk job rewrote data: every hand-over, and any text may need a vector."""
        self.handovers.everything_changed()
        self.embedder.submit(None)

    def folders_attributed(self, folders: list[str], project_id: uuid.UUID) -> None:
        """Folders seen to belong to a project."""
        self.handovers.folders_attributed(folders, project_id)

    def texts_written(self, context_ids: list[uuid.UUID] | None) -> None:
        """New texts: embed them in the background."""
        self.embedder.submit(context_ids)


def build_app(
    settings: Settings,
    *,
    migrate: bool = True,
    clock: Clock = utcnow,
    tracer_provider: TracerProvider | None = None,
    background_embedding: bool = True,
) -> AppContext:
    """Build the engine and services from settings, migrating the database first by default.

    `background_embedding=False` (the hook replayer) leaves new texts for another process's embedder.

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
    stats = StatsService(engine, clock, telemetry)
    telemetry.metrics.watch_database(stats.totals)
    summaries = SessionSummaryService(sessions)
    sessions.ending.append(summaries.summarize_activity_in)
    session_context = SessionContextService(engine, clock, telemetry)
    handovers = HandoverFiles(settings.data_dir / "handover", session_context.for_project)
    embedder = Embedder(
        engine,
        clock,
        settings.embedding_model,
        background=background_embedding,
        sweep_lock=settings.data_dir / "embed-sweep.lock",
        model_cache=settings.cache_dir / "models",
    )
    context_reads = ContextReadService(engine, clock, telemetry)
    context_reads.ranker = HybridRanker(embedder)
    recall = RecallService(engine, clock, telemetry)
    recall.ranker = context_reads.ranker
    recall.settings = RecallSettings(
        enabled=settings.recall,
        max_items=settings.recall_max_items,
        max_chars=settings.recall_max_chars,
        floor=settings.recall_min_similarity,
    )
    app = AppContext(
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
        context_reads=context_reads,
        recall=recall,
        context_edits=ContextEditService(engine, clock, sessions),
        schema=schema,
        workspaces=ProjectWorkspaceService(engine, clock, telemetry),
        session_context=session_context,
        summaries=summaries,
        activity=ActivityReadService(engine, clock, telemetry),
        handovers=handovers,
        embedder=embedder,
        team=TeamService(engine, clock, telemetry),
        audit=AuditTrail(engine, clock),
        session_handles=SessionHandles(
            partial(install_secret, settings.form_secret, settings.data_dir),
            clock,
            timedelta(hours=settings.session_handle_hours),
        ),
        identity_provider=_identity_provider(settings),
    )
    changes = AppChanges(handovers, embedder)
    for service in (
        projects,
        sessions,
        stats,
        app.contexts,
        app.context_reads,
        app.context_edits,
        app.workspaces,
        summaries,
        app.team,
        session_context,
        app.activity,
    ):
        service.changes = changes
        service.audit = app.audit
    return app


def _identity_provider(settings: Settings) -> IdentityProvider | None:
    """The company's OpenID Connect provider, when configured (its libraries load only then)."""
    if not settings.oidc_issuer:
        return None
    if not settings.oidc_client_id:
        raise InvalidInput("AIDIS_OIDC_ISSUER needs AIDIS_OIDC_CLIENT_ID too", field="oidc_client_id")
    from aidis.services.access.identity_provider import IdentityProvider

    public = settings.public_url.rstrip("/") if settings.public_url else None
    return IdentityProvider(
        settings.oidc_issuer,
        settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        audience=settings.oidc_audience or (f"{public}/mcp" if public else None),
        groups_claim=settings.oidc_groups_claim,
    )
