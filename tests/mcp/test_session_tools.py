"""Session behaviour as an agent sees it through MCP (lessons 2, 3 and 4 over the protocol)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from aidis.app import AppContext, build_app
from aidis.db.schema import analytics_events, contexts, sessions
from aidis.mcp.identity import FixedConnection
from aidis.mcp.server import build_mcp_server
from mcp import Client
from tests.mcp.conftest import ClientFactory, call
from tests.support import Database, FakeClock


async def test_reads_do_not_start_a_session_but_recorded_work_does(connect: ClientFactory) -> None:
    async with connect() as client:
        await call(client, "aidis_ping")
        await call(client, "context_search", {"query": "anything"})
        assert (await call(client, "session_status"))["session"] is None
        stored = await call(client, "context_store", {"content": "first note"})
        status = await call(client, "session_status")
    assert status["session"]["id"] == stored["session"]["id"]
    assert status["session"]["project_name"] == "Unassigned"
    assert status["session"]["contexts"] == 1


async def test_two_connections_never_share_or_see_each_others_session(
    app: AppContext, connect: ClientFactory
) -> None:
    app.projects.create("alpha")
    app.projects.create("beta")
    async with connect("a") as a, connect("b") as b:
        await call(a, "project_switch", {"project": "alpha"})
        stored_a = await call(a, "context_store", {"content": "secret of alpha"})
        assert (await call(b, "session_status"))["session"] is None
        await call(b, "project_switch", {"project": "beta"})
        stored_b = await call(b, "context_store", {"content": "beta thoughts"})
        assert stored_a["session"]["id"] != stored_b["session"]["id"]
        found_by_b = await call(b, "context_search", {"query": "secret"})
        assert found_by_b["scope"] == "beta" and found_by_b["items"] == []
        across = await call(b, "context_search", {"query": "secret", "all_projects": True})
        assert [i["title"] for i in across["items"]] == ["secret of alpha"]
        assert (await call(a, "session_status"))["session"]["project_name"] == "alpha"


async def test_project_switch_moves_session_and_later_contexts_together(
    app: AppContext, db: Database, connect: ClientFactory
) -> None:
    """Lesson 3: after a switch the stored session and its new contexts are in the same project."""
    app.projects.create("alpha")
    beta = app.projects.create("beta")
    async with connect() as client:
        await call(client, "project_switch", {"project": "alpha"})
        await call(client, "context_store", {"content": "in alpha"})
        switched = await call(client, "project_switch", {"project": "beta"})
        assert switched["session"]["project_name"] == "beta"
        stored = await call(client, "context_store", {"content": "in beta"})
    with db.engine.connect() as conn:
        session_project = conn.execute(
            select(sessions.c.project_id).where(sessions.c.id == uuid.UUID(stored["session"]["id"]))
        ).scalar_one()
        context_project = conn.execute(
            select(contexts.c.project_id).where(contexts.c.id == uuid.UUID(stored["context"]["id"]))
        ).scalar_one()
    assert session_project == context_project == beta.id
    # the first switch came before any session existed; only the second re-pinned one
    changes = app.sessions.detail(stored["session"]["id"]).changes
    assert [(c.reason, c.to_project_id) for c in changes] == [("project_switch", beta.id)]


async def test_naming_a_project_from_an_unassigned_session_assigns_it(
    app: AppContext, connect: ClientFactory
) -> None:
    app.projects.create("alpha")
    async with connect() as client:
        await call(client, "context_store", {"content": "before"})
        stored = await call(client, "context_store", {"content": "about alpha", "project": "alpha"})
    assert stored["session"]["project_name"] == "alpha"
    assert [c.reason for c in app.sessions.detail(stored["session"]["id"]).changes] == ["auto_assign"]


async def test_counters_and_tokens_are_in_the_database_and_match_rows(
    app: AppContext, db: Database, connect: ClientFactory
) -> None:
    async with connect() as client:
        for i in range(3):
            await call(client, "context_store", {"content": f"note number {i} " + "x" * 400})
        await call(client, "session_status")
        session_id = uuid.UUID((await call(client, "session_status"))["session"]["id"])
    with db.engine.connect() as conn:
        row = conn.execute(select(sessions).where(sessions.c.id == session_id)).one()
        n_contexts = len(conn.execute(select(contexts.c.id).where(contexts.c.session_id == session_id)).all())
        n_events = len(
            conn.execute(
                select(analytics_events.c.id).where(analytics_events.c.session_id == session_id)
            ).all()
        )
    assert row.context_count == n_contexts == 3
    assert row.event_count == n_events
    assert row.tool_call_count == 5  # three stores and two status reads
    assert row.input_tokens >= 3 * 100


async def test_session_survives_a_server_restart(app: AppContext, clock: FakeClock) -> None:
    identity = FixedConnection("stdio:fixed-id", "stdio", "claude")
    async with Client(build_mcp_server(app, identity)) as client:
        first = await call(client, "context_store", {"content": "before restart"})
    restarted = build_app(app.settings, migrate=False, clock=clock)
    try:
        async with Client(build_mcp_server(restarted, identity)) as client:
            status = await call(client, "session_status")
            again = await call(client, "context_store", {"content": "after restart"})
    finally:
        restarted.close()
    assert status["session"]["id"] == first["session"]["id"] == again["session"]["id"]
    assert again["session"]["contexts"] == 2


async def test_session_new_and_end_over_mcp(app: AppContext, connect: ClientFactory) -> None:
    app.projects.create("alpha")
    async with connect() as client:
        first = await call(client, "session_new", {"project": "alpha", "title": "one"})
        second = await call(client, "session_new", {"title": "two"})
        assert second["ended"]["id"] == first["session"]["id"]
        assert second["ended"]["status"] == "ended" and second["ended"]["end_reason"] == "new_session"
        assert second["session"]["project_name"] == "alpha"  # inherited from the connection
        ended = await call(client, "session_end")
        assert ended["session"]["status"] == "ended" and ended["session"]["ended_at"] is not None
        listing = await call(client, "session_list", {"project": "alpha"})
    assert listing["total"] == 2 and listing["next_offset"] is None
    assert {s["status"] for s in listing["items"]} == {"ended"}


async def test_session_list_paginates_and_filters_unassigned(app: AppContext, connect: ClientFactory) -> None:
    for i in range(5):
        app.sessions.start(f"other-{i}")
    async with connect() as client:
        page1 = await call(client, "session_list", {"unassigned": True, "limit": 2})
        page3 = await call(client, "session_list", {"unassigned": True, "limit": 2, "offset": 4})
    assert page1["total"] == 5 and page1["next_offset"] == 2 and len(page1["items"]) == 2
    assert page3["next_offset"] is None and len(page3["items"]) == 1
    assert all(s["project_name"] == "Unassigned" for s in page1["items"])
