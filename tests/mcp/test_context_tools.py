"""Memory tools through the SDK client: compact answers, duplicates and keys, full texts on demand,
timelines, edits and forgetting, and the project boundary (both engines)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aidis.app import AppContext
from tests.mcp.conftest import ClientFactory, call, call_error
from tests.support import Database, FakeClock, row_counts


async def test_store_answers_compactly_even_for_a_large_note(connect: ClientFactory) -> None:
    big = "Migration plan\n" + ("step details " * 7600)
    async with connect() as client:
        stored = await call(client, "context_store", {"content": big, "tags": ["plan"]})
        result = await client.call_tool("context_store", {"content": big})
    assert stored["outcome"] == "stored" and stored["context"]["title"] == "Migration plan"
    assert stored["context"]["tokens"] == (len(big) + 3) // 4
    assert len(str(stored)) < 2500  # the 100 kB note is not echoed back
    assert result.structured_content is not None and result.structured_content["outcome"] == "duplicate"
    assert result.structured_content["context"]["seen"] == 2


async def test_search_hits_are_compact_and_context_get_returns_whole_texts(connect: ClientFactory) -> None:
    async with connect() as client:
        a = await call(
            client, "context_store", {"content": "Retries\nWe retry idempotent calls three times."}
        )
        await call(client, "context_store", {"content": "Fonts\nThe dashboard uses the system font."})
        found = await call(client, "context_search", {"query": "retrying"})
        (hit,) = found["items"]
        assert hit["id"] == a["context"]["id"] and "**retry**" in hit["snippet"]
        assert "context_get" in found["hint"] and found["next_offset"] is None
        got = await call(client, "context_get", {"ids": [hit["id"]]})
    assert got["items"][0]["context"]["content"] == "Retries\nWe retry idempotent calls three times."


async def test_search_by_meaning_and_by_words_says_which_it_used(connect: ClientFactory) -> None:
    async with connect() as client:
        ttl = await call(client, "context_store", {"content": "Session tokens expire after 15 minutes."})
        await call(
            client, "context_store", {"content": "The container image shrank with a multi-stage build."}
        )
        fused = await call(client, "context_search", {"query": "how long until a login becomes invalid"})
        by_words = await call(
            client, "context_search", {"query": "how long until a login becomes invalid", "mode": "keyword"}
        )
        exact = await call(client, "context_search", {"query": "multi-stage", "mode": "semantic"})
        bad = await call_error(client, "context_search", {"query": "x", "mode": "fuzzy"})
    assert fused["mode_used"] == "hybrid" and fused["items"][0]["id"] == ttl["context"]["id"]
    assert fused["items"][0]["matched"] == "semantic"
    assert by_words["mode_used"] == "keyword" and by_words["items"] == []
    assert exact["items"][0]["matched"] == "exact"
    assert "mode" in bad


async def test_a_key_upserts_and_revisions_are_viewable(connect: ClientFactory) -> None:
    async with connect() as client:
        first = await call(client, "context_store", {"content": "auth: cookies", "key": "decision/auth"})
        second = await call(client, "context_store", {"content": "auth: tokens", "key": "decision/auth"})
        got = await call(client, "context_get", {"ids": [first["context"]["id"]], "revisions": True})
    assert second["outcome"] == "updated" and second["context"]["id"] == first["context"]["id"]
    item = got["items"][0]
    assert item["context"]["content"] == "auth: tokens" and item["context"]["revision"] == 2
    assert [r["content"] for r in item["revisions"]] == ["auth: cookies"]


async def test_timeline_shows_neighbours_in_the_same_session(
    connect: ClientFactory, clock: FakeClock
) -> None:
    ids = []
    async with connect() as client:
        for i in range(5):
            clock.advance(seconds=1)
            ids.append((await call(client, "context_store", {"content": f"step {i}"}))["context"]["id"])
        line = await call(client, "context_timeline", {"id": ids[2], "before": 1, "after": 2})
    assert [h["id"] for h in line["before"]] == [ids[1]]
    assert [h["id"] for h in line["after"]] == [ids[3], ids[4]]
    assert line["context"]["id"] == ids[2]


async def test_update_delete_restore_and_purge_through_the_tools(
    app: AppContext, connect: ClientFactory
) -> None:
    async with connect() as client:
        stored = await call(client, "context_store", {"content": "use port 8000"})
        cid = stored["context"]["id"]
        updated = await call(client, "context_update", {"id": cid, "content": "use port 8765"})
        assert updated["action"] == "updated" and updated["context"]["revision"] == 2
        deleted = await call(client, "context_delete", {"id": cid, "reason": "moved to config"})
        assert deleted["action"] == "deleted"
        assert (await call(client, "context_search", {"query": "port"}))["items"] == []
        assert (await call(client, "session_status"))["session"]["contexts"] == 0
        assert (await call(client, "context_restore", {"id": cid}))["action"] == "restored"
        purged = await call(client, "context_delete", {"id": cid, "purge": True})
        assert purged["action"] == "purged"
        got = await call(client, "context_get", {"ids": [cid], "revisions": True})
    assert got["items"][0]["context"]["content"] == "" and got["items"][0]["revisions"] == []
    assert {n: v for n, v in app.integrity.check().counts().items() if v} == {}


async def test_another_projects_context_is_out_of_reach_unless_named(
    app: AppContext, db: Database, connect: ClientFactory
) -> None:
    app.projects.create("alpha")
    app.projects.create("beta")
    async with connect("a") as a, connect("b") as b:
        await call(a, "project_switch", {"project": "alpha"})
        theirs = await call(a, "context_store", {"content": "alpha's secret plan"})
        await call(b, "project_switch", {"project": "beta"})
        before = row_counts(db.engine)
        error = await call_error(b, "context_delete", {"id": theirs["context"]["id"]})
        assert "not in project 'beta'" in error and "(field: id)" in error
        assert row_counts(db.engine) == before
        named = await call(
            b, "context_update", {"id": theirs["context"]["id"], "tags": ["x"], "project": "alpha"}
        )
    assert named["action"] == "updated"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=st.one_of(
        st.text(min_size=1, max_size=120).filter(lambda s: "\x00" not in s),
        st.sampled_from(['"unbalanced', "NEAR(a b)", "a* OR (b", '"" ""', "*", "x" * 500, 'ß💥 "ü"*']),
    )
)
async def test_any_query_through_the_tool_is_a_result_or_a_clear_validation_error(
    connect: ClientFactory, query: str
) -> None:
    async with connect() as client:
        result = await client.call_tool("context_search", {"query": query, "all_projects": True})
    if result.is_error:
        text = result.content[0].text  # type: ignore[union-attr]
        assert "query" in text and "internal" not in text.lower(), text
    else:
        assert result.structured_content is not None and "items" in result.structured_content


async def test_a_time_without_an_offset_is_a_clear_error_naming_the_field(connect: ClientFactory) -> None:
    async with connect() as client:
        searched = await call_error(client, "context_search", {"query": "x", "since": "2026-01-01"})
        listed = await call_error(client, "session_list", {"since": "2026-01-01T00:00:00"})
    assert "since" in searched and "timezone" in searched and "internal" not in searched
    assert "since" in listed and "timezone" in listed and "internal" not in listed
