"""The JSON API over HTTP: filters, sorting, cursor paging, bulk assignment, stats, one error shape."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from aidis.app import AppContext
from aidis.enums import EndReason
from aidis.services.caller import Caller
from tests.support import Database, FakeClock, row_counts


@pytest.fixture
def seeded(app: AppContext, clock: FakeClock) -> dict[str, Any]:
    app.projects.create("alpha")
    app.projects.create("beta")
    made: dict[str, Any] = {"alpha": [], "beta": [], "unassigned": []}
    for i in range(12):
        clock.advance(hours=1)
        bucket = ["alpha", "beta", "unassigned"][i % 3]
        session = app.sessions.start(
            f"c{i}",
            project=None if bucket == "unassigned" else bucket,
            title=f"task {i}",
            # unassigned ones come from an agent with no project history, so nothing is inherited
            agent_type="unknown" if bucket == "unassigned" else ("cursor" if i % 2 else "claude-code"),
        )
        if i % 4 == 0:
            app.sessions.end(session.id, reason=EndReason.EXPLICIT)
        made[bucket].append(session)
    return made


async def test_projects_list_has_session_counts(http: httpx.AsyncClient, seeded: dict[str, Any]) -> None:
    body = (await http.get("/api/v1/projects")).json()
    counts = {p["name"]: p["session_count"] for p in body["items"]}
    assert counts == {"Unassigned": 4, "alpha": 4, "beta": 4}


async def test_project_detail_by_name(http: httpx.AsyncClient, seeded: dict[str, Any]) -> None:
    body = (await http.get("/api/v1/projects/alpha")).json()
    assert body["project"]["name"] == "alpha" and body["stats"]["total"] == 4
    assert sum(d["sessions"] for d in body["per_day"]) == 4


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("project=alpha", 4),
        ("unassigned=true", 4),
        ("status=ended", 3),
        ("status=active", 9),
        ("agent=cursor", 4),
        ("q=task%2011", 1),
        ("project=beta&status=active", 3),
    ],
)
async def test_session_filters(
    http: httpx.AsyncClient, seeded: dict[str, Any], query: str, expected: int
) -> None:
    body = (await http.get(f"/api/v1/sessions?{query}")).json()
    assert body["total"] == expected == len(body["items"])


async def test_since_until_and_sort(http: httpx.AsyncClient, seeded: dict[str, Any]) -> None:
    alpha = seeded["alpha"]
    since = alpha[1].started_at.isoformat().replace("+00:00", "Z")
    body = (
        await http.get("/api/v1/sessions", params={"project": "alpha", "since": since, "sort": "started_at"})
    ).json()
    assert [s["display_id"] for s in body["items"]] == [s.display_id for s in alpha[1:]]


async def test_a_bare_date_means_midnight_utc(
    http: httpx.AsyncClient, seeded: dict[str, Any], clock: FakeClock
) -> None:
    tomorrow = (clock.now.date() + timedelta(days=1)).isoformat()
    today = clock.now.date().isoformat()
    assert (await http.get(f"/api/v1/sessions?since={tomorrow}")).json()["total"] == 0
    assert (await http.get(f"/api/v1/sessions?until={tomorrow}")).json()["total"] == 12
    assert (await http.get(f"/api/v1/stats/daily?since={today}")).status_code == 200


async def test_cursor_paging_visits_every_session_once(
    http: httpx.AsyncClient, seeded: dict[str, Any]
) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 5}
        if cursor:
            params["cursor"] = cursor
        body = (await http.get("/api/v1/sessions", params=params)).json()
        seen += [s["display_id"] for s in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 12
    assert seen == sorted(seen, reverse=True)  # newest first; display ids grow with start time here


async def test_session_detail_has_events_contexts_and_changes(
    app: AppContext, http: httpx.AsyncClient
) -> None:
    app.projects.create("alpha")
    stored = app.contexts.store(Caller("c1"), "remember this", project="alpha")
    body = (await http.get(f"/api/v1/sessions/{stored.session.display_id}")).json()
    assert body["session"]["project_name"] == "alpha"
    assert [e["event_type"] for e in body["events"]] == [
        "session_start",
        "session_assigned",
        "context_stored",
    ]
    assert [c["content"] for c in body["contexts"]] == ["remember this"]
    assert [c["reason"] for c in body["changes"]] == ["auto_assign"]


async def test_bulk_assign_moves_all_and_records_each(
    app: AppContext, http: httpx.AsyncClient, seeded: dict[str, Any]
) -> None:
    ids = [s.display_id for s in seeded["unassigned"]]
    response = await http.post("/api/v1/sessions/assign", json={"session_ids": ids, "project": "beta"})
    assert response.status_code == 200 and response.json()["assigned"] == 4
    assert (await http.get("/api/v1/sessions?unassigned=true")).json()["total"] == 0
    assert all(app.sessions.detail(i).changes[0].reason == "bulk_assign" for i in ids)


async def test_bulk_assign_with_one_unknown_session_changes_nothing(
    http: httpx.AsyncClient, seeded: dict[str, Any], db: Database
) -> None:
    before = row_counts(db.engine)
    ids = [s.display_id for s in seeded["unassigned"]] + ["SES-1999-00001"]
    response = await http.post("/api/v1/sessions/assign", json={"session_ids": ids, "project": "beta"})
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "session_ids[4]"
    assert row_counts(db.engine) == before
    assert (await http.get("/api/v1/sessions?unassigned=true")).json()["total"] == 4


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [
        ("get", "/api/v1/sessions?bogus=1", None, 422, "bogus"),
        ("get", "/api/v1/sessions?limit=0", None, 422, "limit"),
        ("get", "/api/v1/sessions?status=zombie", None, 422, "status"),
        ("get", "/api/v1/sessions?cursor=notacursor", None, 422, "cursor"),
        ("get", "/api/v1/sessions?since=2026-01-01T10:30:00", None, 422, "since/until"),
        ("get", "/api/v1/sessions?project=alpah", None, 404, "project"),
        ("get", "/api/v1/sessions/SES-1999-00001", None, 404, "session"),
        ("get", "/api/v1/projects/nope", None, 404, "project"),
        ("post", "/api/v1/sessions/assign", {"session_ids": [], "project": "alpha"}, 422, "session_ids"),
        (
            "post",
            "/api/v1/sessions/assign",
            {"session_ids": ["x"], "project": "alpha", "extra": 1},
            422,
            "extra",
        ),
        ("post", "/api/v1/sessions/assign", {"session_ids": ["x"]}, 422, "project"),
        ("post", "/api/v1/sessions/assign", {"session_ids": ["x"], "project": "nope"}, 404, "project"),
    ],
)
async def test_every_4xx_has_the_same_shape_and_names_the_field(
    http: httpx.AsyncClient,
    seeded: dict[str, Any],
    db: Database,
    method: str,
    path: str,
    body: Any,
    status: int,
    field: str,
) -> None:
    before = row_counts(db.engine)
    response = await (http.post(path, json=body) if method == "post" else http.get(path))
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) >= {"code", "message", "field"}
    assert error["field"] == field
    assert row_counts(db.engine) == before


async def test_unknown_project_suggests_close_matches(
    http: httpx.AsyncClient, seeded: dict[str, Any]
) -> None:
    error = (await http.get("/api/v1/projects/alpah")).json()["error"]
    assert error["hints"] == ["alpha"]


async def test_stats_and_daily_agree_with_the_sessions(
    http: httpx.AsyncClient, seeded: dict[str, Any]
) -> None:
    stats = (await http.get("/api/v1/stats?project=beta")).json()
    assert stats["total"] == 4 and stats["active"] + stats["ended"] == 4
    days = (await http.get("/api/v1/stats/daily")).json()["days"]
    assert sum(d["sessions"] for d in days) == 12
    assert {d["project_name"] for d in days} == {"alpha", "beta", "Unassigned"}


async def test_openapi_document_lists_the_api(http: httpx.AsyncClient) -> None:
    spec = (await http.get("/api/v1/openapi.json")).json()
    assert {"/api/v1/sessions", "/api/v1/sessions/assign", "/api/v1/projects", "/api/v1/stats/daily"} <= set(
        spec["paths"]
    )


async def test_pages_answer(http: httpx.AsyncClient, seeded: dict[str, Any]) -> None:
    for path in (
        "/",
        "/sessions",
        "/sessions?unassigned=1",
        "/projects",
        "/projects/alpha",
        f"/sessions/{seeded['alpha'][0].display_id}",
    ):
        response = await http.get(path)
        assert response.status_code == 200, path
        assert "Unknown Project" not in response.text
    assert (await http.get("/sessions/SES-1999-00001")).status_code == 404
    assert (await http.get("/sessions?status=zombie")).status_code == 422


async def test_the_documented_page_bound_is_accepted(app: AppContext, http: httpx.AsyncClient) -> None:
    app.sessions.start("one")
    assert (await http.get("/api/v1/sessions", params={"limit": 500})).status_code == 200
    refused = await http.get("/api/v1/sessions", params={"limit": 501})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "limit"
