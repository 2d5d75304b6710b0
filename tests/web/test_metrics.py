"""/metrics after real tool calls over HTTP, and the Grafana dashboard against what is exported."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import httpx2
from mcp.client.streamable_http import streamable_http_client
from prometheus_client.parser import text_string_to_metric_families

from aidis.app import AppContext
from mcp import Client
from tests.mcp.conftest import call, call_error
from tests.mcp.transports import running_http_server
from tests.support import FakeClock

ROOT = Path(__file__).resolve().parents[2]


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


async def _scrape(url: str) -> str:
    async with httpx.AsyncClient(base_url=url) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_metrics_after_a_scripted_agent_run(app: AppContext) -> None:
    app.projects.create("alpha")
    with running_http_server(app) as url:
        transport = streamable_http_client(
            f"{url}/mcp", http_client=httpx2.AsyncClient(headers={"X-AIDIS-Connection": "metrics-run"})
        )
        async with Client(transport) as client:  # type: ignore[arg-type]
            await call(client, "context_store", {"content": "one"})
            await call(client, "context_store", {"content": "two"})
            await call(client, "session_new", {"project": "alpha"})
            await call_error(client, "session_new", {"project": "missing"})
            await call(client, "session_status")
        app.integrity.check()
        samples = _samples(await _scrape(url))
    assert samples[("aidis_tool_calls_total", (("outcome", "ok"), ("tool", "context_store")))] == 2
    assert samples[("aidis_tool_calls_total", (("outcome", "not_found"), ("tool", "session_new")))] == 1
    assert samples[("aidis_tool_latency_seconds_count", (("outcome", "ok"), ("tool", "context_store")))] == 2
    assert samples[("aidis_sessions_started_total", (("project", "Unassigned"),))] == 1
    assert (
        samples[("aidis_sessions_started_total", (("project", "alpha"),))] == 1
    )  # the refused one is not counted
    assert (
        samples[("aidis_sessions_ended_total", (("project", "Unassigned"), ("reason", "new_session")))] == 1
    )
    assert samples[("aidis_active_sessions", ())] == 1
    assert samples[("aidis_unassigned_sessions", ())] == 1
    assert samples[("aidis_integrity_violations", (("kind", "counter_mismatch"),))] == 0


def test_grafana_dashboard_uses_only_exported_metrics(app: AppContext) -> None:
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "aidis.json").read_text())
    titles = {panel["title"] for panel in dashboard["panels"]}
    assert {
        "Sessions per project per day",
        "Active sessions",
        "Unassigned sessions",
        "Tool latency",
    } <= titles
    exported = {
        name for family in text_string_to_metric_families(_registry_text(app)) for name in _names(family)
    }
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            for metric in re.findall(r"\b(aidis_[a-z_]+)\b", target["expr"]):
                assert metric in exported, (
                    f"panel {panel['title']!r} queries {metric}, which AIDIS does not export"
                )


def _registry_text(app: AppContext) -> str:
    from prometheus_client import generate_latest

    metrics = app.telemetry.metrics
    metrics.observe_tool("aidis_ping", "ok", 0.001)
    metrics.sessions_started.labels("x").inc()
    metrics.sessions_ended.labels("x", "explicit").inc()
    metrics.set_integrity({"counter_mismatch": 0})
    return generate_latest(metrics.registry).decode()


def _names(family: object) -> set[str]:
    name = family.name  # type: ignore[attr-defined]
    kind = family.type  # type: ignore[attr-defined]
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}.get(kind, [""])
    return {name} | {name + s for s in suffixes}


async def test_metrics_still_answer_when_the_database_is_down(tmp_path: Path) -> None:
    from aidis.app import build_app
    from aidis.config import Settings
    from aidis.web.app import create_web_app

    app = build_app(
        Settings(data_dir=tmp_path, database_url="postgresql://postgres@127.0.0.1:1/none"), migrate=False
    )
    web = create_web_app(app, run_maintenance=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://127.0.0.1:8765"
    ) as http:
        response = await http.get("/metrics")
    app.close()
    assert response.status_code == 200
    assert _samples(response.text)[("aidis_database_up", ())] == 0


async def test_project_labels_are_capped_busiest_first(app: AppContext, clock: FakeClock) -> None:
    from aidis.app import build_app

    for name, sessions in (("busy", 3), ("middling", 2), ("quiet", 1)):
        app.projects.create(name)
        for i in range(sessions):
            app.sessions.start(f"{name}-{i}", project=name)
    capped = build_app(
        app.settings.model_copy(update={"metrics_max_projects": 2}), migrate=False, clock=clock
    )
    try:
        with running_http_server(capped) as url:
            for name in ("quiet", "newcomer-1", "newcomer-2", "busy"):
                if name.startswith("newcomer"):
                    capped.projects.create(name)
                capped.sessions.start(f"late-{name}", project=name)
            samples = _samples(await _scrape(url))
    finally:
        capped.close()
    started = {
        dict(labels)["project"]: value
        for (metric, labels), value in samples.items()
        if metric == "aidis_sessions_started_total"
    }
    assert started == {"busy": 1, "other": 3}  # busy and middling were seeded; the rest share "other"
