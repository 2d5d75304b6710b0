"""Tracing, metrics and logging setup. No-op tracing unless OTEL_EXPORTER_OTLP_ENDPOINT is set.

Metrics live in a registry per AppContext (exposed at /metrics by `aidis serve`). Counters that
describe database work move only after the transaction commits (`after_commit`), so a rolled-back
start is never counted.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.trace import Tracer
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from pythonjsonlogger.json import JsonFormatter

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from sqlalchemy import Connection, Engine

from aidis import __version__
from aidis.errors import AidisError

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_AFTER_COMMIT = "aidis_after_commit"


def install_tracing_from_env() -> SdkTracerProvider | None:
    """Export spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (the global provider); else None,
    and tracing stays a no-op. The caller shuts the returned provider down."""
    provider = tracer_provider_from_env()
    if provider is not None:
        trace.set_tracer_provider(provider)
    return provider


def tracer_provider_from_env(environ: Mapping[str, str] = os.environ) -> SdkTracerProvider | None:
    """An SDK provider exporting over OTLP/HTTP when the standard OTEL_* variables ask for it."""
    if not (environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource  # the SDK only when an exporter is configured
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create(
        {"service.name": environ.get("OTEL_SERVICE_NAME", "aidis"), "service.version": __version__}
    )
    provider = SdkTracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


class DatabaseGauges(Collector):
    """Gauges read from the database at scrape time, so every server process reports the same truth.

    When the database cannot be read, `aidis_database_up` is 0 (the failure is logged) and the
    rest of /metrics is still served.
    """

    def __init__(self, read: Callable[[], dict[str, int]]) -> None:
        self.read = read

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """The metric names, without touching the database (used at registration)."""
        yield from self._families({"active_sessions": 0, "unassigned_sessions": 0, "projects": 0}, up=True)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Active and Unassigned sessions, and projects, as of now."""
        try:
            totals = self.read()
        except AidisError as exc:
            logging.getLogger("aidis.telemetry").warning(
                "metrics: database gauges unavailable: %s", exc.message
            )
            yield GaugeMetricFamily("aidis_database_up", "1 when the database answered this scrape.", value=0)
            return
        yield from self._families(totals, up=True)

    @staticmethod
    def _families(totals: Mapping[str, int], *, up: bool) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(
            "aidis_database_up", "1 when the database answered this scrape.", value=int(up)
        )
        yield GaugeMetricFamily(
            "aidis_active_sessions", "Sessions open right now.", value=totals["active_sessions"]
        )
        yield GaugeMetricFamily(
            "aidis_unassigned_sessions",
            "Sessions in the Unassigned project.",
            value=totals["unassigned_sessions"],
        )
        yield GaugeMetricFamily(
            "aidis_projects", "Projects (not counting Unassigned).", value=totals["projects"]
        )


OTHER_PROJECTS = "other"
MAX_MODEL_LABELS = 50  # distinct models with a series of their own; the rest count as "other"


@dataclass
class Metrics:
    """Every Prometheus instrument AIDIS exports.

    The `project` label is bounded: at most `max_projects` names get their own series (the busiest
    ones, seeded at start-up, then first come), every other project is counted under "other", so
    projects created automatically cannot grow /metrics without limit.
    """

    registry: CollectorRegistry = field(default_factory=lambda: CollectorRegistry(auto_describe=True))
    max_projects: int = 20
    _project_labels: set[str] = field(default_factory=set)
    _model_labels: set[str] = field(default_factory=set)

    def seed_projects(self, names: list[str]) -> None:
        """Give these projects (busiest first) their own label before anyone else."""
        for name in names:
            self.project_label(name)

    def project_label(self, name: str) -> str:
        """The label value for a project: its name while there is room, else "other"."""
        if name in self._project_labels:
            return name
        if len(self._project_labels) < self.max_projects:
            self._project_labels.add(name)
            return name
        return OTHER_PROJECTS

    def __post_init__(self) -> None:
        r = self.registry
        self.sessions_started = Counter(
            "aidis_sessions_started", "Sessions started.", ["project"], registry=r
        )
        self.sessions_ended = Counter(
            "aidis_sessions_ended", "Sessions ended.", ["project", "reason"], registry=r
        )
        self.tool_calls = Counter("aidis_tool_calls", "MCP tool calls.", ["tool", "outcome"], registry=r)
        self.tool_latency = Histogram(
            "aidis_tool_latency_seconds",
            "MCP tool call latency.",
            ["tool", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.tokens = Counter(
            "aidis_tokens",
            "Model tokens recorded from the agents' transcripts (kind: input, output, cache_write, cache_read).",
            ["project", "agent", "model", "kind"],
            registry=r,
        )
        self.integrity_violations = Gauge(
            "aidis_integrity_violations",
            "Rows breaking each integrity rule at the last check.",
            ["kind"],
            registry=r,
        )

    def count_tokens(self, project: str, agent: str, model: str, counts: Mapping[str, int]) -> None:
        """Count a transcript read's tokens (project and model labels bounded: the rest is "other")."""
        model_label = (
            model
            if len(self._model_labels) < MAX_MODEL_LABELS or model in self._model_labels
            else OTHER_PROJECTS
        )
        self._model_labels.add(model_label)
        for kind, count in counts.items():
            if count > 0:
                self.tokens.labels(self.project_label(project), agent[:32], model_label[:64], kind).inc(count)

    def observe_tool(self, tool: str, outcome: str, seconds: float) -> None:
        """Count one tool call and its latency."""
        self.tool_calls.labels(tool, outcome).inc()
        self.tool_latency.labels(tool, outcome).observe(seconds)

    def set_integrity(self, counts: Mapping[str, int]) -> None:
        """Publish the violation counts of a check."""
        for kind, count in counts.items():
            self.integrity_violations.labels(kind).set(count)

    def watch_database(self, read: Callable[[], dict[str, int]]) -> None:
        """Export the database-derived gauges (call once per registry)."""
        self.registry.register(DatabaseGauges(read))


@dataclass
class Telemetry:
    """The tracer and metrics an AppContext hands to its services."""

    tracer: Tracer = field(default_factory=lambda: trace.get_tracer("aidis", __version__))
    metrics: Metrics = field(default_factory=Metrics)


def after_commit(conn: Connection, callback: Callable[[], None]) -> None:
    """Run `callback` once the transaction `conn` is in commits (never if it rolls back)."""
    conn.info.setdefault(_AFTER_COMMIT, []).append(callback)


def install_commit_hooks(engine: Engine) -> None:
    """Wire `after_commit` callbacks to the engine's commit and rollback events."""
    from sqlalchemy import event  # with the engine: `aidis mcp` loads telemetry before the database layer

    log = logging.getLogger("aidis.telemetry")

    @event.listens_for(engine, "commit")
    def _on_commit(conn: Connection) -> None:
        for callback in conn.info.pop(_AFTER_COMMIT, []):
            try:
                callback()
            except Exception:  # a metrics hook must never undo committed work
                log.exception("after-commit hook failed")

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn: Connection) -> None:
        if conn.invalidated:  # the DBAPI connection (and its info, callbacks included) is being discarded
            return
        conn.info.pop(_AFTER_COMMIT, None)


def configure_logging(level: str, *, json_logs: bool | None = None) -> None:
    """Logs to stderr: JSON (with any `extra=` fields, e.g. session_id) unless stderr is a terminal."""
    use_json = (not sys.stderr.isatty()) if json_logs is None else json_logs
    handler = logging.StreamHandler(sys.stderr)
    if use_json:
        handler.setFormatter(
            JsonFormatter("{asctime}{levelname}{name}{message}", style="{", rename_fields={"asctime": "time"})
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger(noisy).level))
