"""Traces (captured with the SDK's in-memory exporter), JSON logs, and the lifecycle diagram vs enums.py."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from aidis.app import AppContext, build_app
from aidis.enums import EndReason, SessionStatus
from aidis.mcp.identity import FixedConnection
from aidis.mcp.server import build_mcp_server
from aidis.telemetry import configure_logging, tracer_provider_from_env
from mcp import Client
from tests.mcp.conftest import call, call_error
from tests.support import FakeClock

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def traced(app: AppContext, clock: FakeClock) -> Iterator[tuple[AppContext, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    traced_app = build_app(app.settings, migrate=False, clock=clock, tracer_provider=provider)
    yield traced_app, exporter
    traced_app.close()


def _by_name(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name]


async def test_tool_calls_and_lifecycle_steps_make_a_span_tree(
    traced: tuple[AppContext, InMemorySpanExporter],
) -> None:
    app, exporter = traced
    app.projects.create("alpha")
    async with Client(build_mcp_server(app, FixedConnection("memory:t", "memory", "tester"))) as client:
        await call(client, "session_new", {"project": "alpha", "title": "first"})
        await call(client, "session_new", {"title": "second"})
        stored = await call(client, "context_store", {"content": "traced"})
    spans = exporter.get_finished_spans()
    tool_new = _by_name(spans, "aidis.tool session_new")[1]
    children = [s for s in spans if s.parent is not None and s.parent.span_id == tool_new.context.span_id]
    assert {s.name for s in children} == {"aidis.session.end", "aidis.session.start"}
    assert tool_new.attributes["aidis.tool"] == "session_new"
    assert tool_new.attributes["aidis.outcome"] == "ok"
    assert tool_new.attributes["aidis.project.name"] == "alpha"
    end = _by_name(children, "aidis.session.end")[0]
    assert end.attributes["aidis.end_reason"] == "new_session"
    tool_store = _by_name(spans, "aidis.tool context_store")[0]
    assert tool_store.attributes["aidis.session.id"] == stored["session"]["id"]
    assert tool_store.attributes["aidis.project.id"] == stored["session"]["project_id"]
    store = _by_name(spans, "aidis.context.store")[0]
    assert store.parent is not None and store.parent.span_id == tool_store.context.span_id


async def test_failed_tool_call_span_has_the_error_outcome(
    traced: tuple[AppContext, InMemorySpanExporter],
) -> None:
    app, exporter = traced
    async with Client(build_mcp_server(app, FixedConnection("memory:t", "memory", "tester"))) as client:
        await call_error(client, "session_assign", {"project": "missing"})
    span = _by_name(exporter.get_finished_spans(), "aidis.tool session_assign")[0]
    assert span.attributes["aidis.outcome"] == "not_found"
    assert not span.status.is_ok


def test_assign_and_reap_have_spans(
    traced: tuple[AppContext, InMemorySpanExporter], clock: FakeClock
) -> None:
    app, exporter = traced
    app.projects.create("alpha")
    session = app.sessions.start("c1")
    app.sessions.assign(session.id, "alpha")
    clock.advance(hours=2)
    app.sessions.reap_idle(app.idle_timeout)
    spans = exporter.get_finished_spans()
    assign = _by_name(spans, "aidis.session.assign")[0]
    assert assign.attributes["aidis.project.name"] == "alpha"
    assert assign.attributes["aidis.change.reason"] == "explicit_assign"
    assert _by_name(spans, "aidis.session.reap")[0].attributes["aidis.sessions.closed"] == 1


def test_tracing_is_a_no_op_without_otel_environment() -> None:
    assert tracer_provider_from_env({}) is None
    provider = tracer_provider_from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert provider is not None
    provider.shutdown()


def test_json_logs_carry_session_and_project_ids(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", json_logs=True)
    try:
        logging.getLogger("aidis.test").info(
            "session started", extra={"session_id": "s-1", "project_id": "p-1"}
        )
        line = capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        configure_logging("WARNING", json_logs=False)
    record = json.loads(line)
    assert record["message"] == "session started"
    assert (record["session_id"], record["project_id"], record["levelname"]) == ("s-1", "p-1", "INFO")


def test_lifecycle_diagram_matches_the_enums() -> None:
    text = (ROOT / "docs" / "session-lifecycle.md").read_text()
    diagram = re.search(r"```mermaid\nstateDiagram-v2\n(.*?)```", text, re.S)
    assert diagram is not None
    states: set[str] = set()
    reasons: dict[str, str] = {}
    for line in diagram.group(1).splitlines():
        match = re.match(r"\s*(\[\*\]|\w+) --> (\[\*\]|\w+)(?::\s*(.*))?$", line)
        if not match:
            continue
        source, target, label = match.groups()
        states |= {s for s in (source, target) if s != "[*]"}
        if source == "active" and target != "[*]":
            for reason in (r.strip() for r in (label or "").split(",")):
                reasons[reason] = target
    assert states == {s.value for s in SessionStatus}
    assert reasons == {r.value: r.status.value for r in EndReason}
