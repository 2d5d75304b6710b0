"""The contexts API over HTTP: compact search and listing, one context in full, edits by a person,
and bad input that names the field and changes nothing."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from aidis.app import AppContext
from aidis.services.caller import Caller
from tests.support import Database, row_counts
from tests.web.forms import form_token

JSON = {"content-type": "application/json"}


async def test_search_is_compact_and_get_returns_the_whole_text(
    app: AppContext, http: httpx.AsyncClient
) -> None:
    app.projects.create("alpha")
    long_text = "Caching plan\n" + "background words. " * 3000 + "the cache is invalidated on deploy."
    stored = app.contexts.store(Caller("c1"), long_text, project="alpha", tags=["cache"])
    found = await http.get("/api/v1/contexts", params={"q": "invalidated", "all_projects": "true"})
    assert found.status_code == 200, found.text
    (hit,) = found.json()["items"]
    assert hit["id"] == str(stored.context.id) and hit["title"] == "Caching plan"
    assert "**invalidated**" in hit["snippet"] and "content" not in hit
    assert hit["tokens"] == (len(long_text) + 3) // 4
    assert len(found.text) < 1500
    full = await http.get(f"/api/v1/contexts/{hit['id']}")
    assert full.json()["context"]["content"] == long_text


async def test_search_ranks_by_meaning_and_says_which_ranking_it_used(
    app: AppContext, http: httpx.AsyncClient
) -> None:
    app.projects.create("alpha")
    ttl = app.contexts.store(Caller("c1"), "Session tokens expire after 15 minutes.", project="alpha")
    app.contexts.store(Caller("c1"), "The container image shrank with a multi-stage build.", project="alpha")
    assert app.embedder.wait_idle(60)
    question = {"q": "how long until a login becomes invalid", "project": "alpha"}
    by_words = (await http.get("/api/v1/contexts", params={**question, "mode": "keyword"})).json()
    assert by_words["items"] == [] and by_words["mode_used"] == "keyword" and by_words["notice"] is None
    fused = (await http.get("/api/v1/contexts", params=question)).json()
    assert fused["mode_used"] == "hybrid"
    assert fused["items"][0]["id"] == str(ttl.context.id) and fused["items"][0]["matched"] == "semantic"
    listed = (await http.get("/api/v1/contexts", params={"project": "alpha"})).json()
    assert listed["mode_used"] is None  # a listing is not a search


async def test_a_person_edits_deletes_and_restores_through_the_api(
    app: AppContext, http: httpx.AsyncClient
) -> None:
    stored = app.contexts.store(Caller("c1"), "first wording")
    path = f"/api/v1/contexts/{stored.context.id}"
    edited = await http.patch(path, json={"content": "second wording", "tags": ["fixed"]})
    assert edited.status_code == 200 and edited.json()["action"] == "updated"
    history = (await http.get(path, params={"revisions": "true"})).json()
    assert [r["content"] for r in history["revisions"]] == ["first wording"]
    deleted = await http.post(f"{path}/delete", json={"reason": "obsolete"})
    assert deleted.json()["action"] == "deleted"
    assert (await http.get("/api/v1/contexts")).json()["items"] == []
    listed = (await http.get("/api/v1/contexts", params={"deleted": "true"})).json()["items"]
    assert [h["id"] for h in listed] == [str(stored.context.id)]
    restored = await http.post(f"{path}/restore", content="{}", headers=JSON)
    assert restored.json()["action"] == "restored"
    assert {n: v for n, v in app.integrity.check().counts().items() if v} == {}


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("get", "/api/v1/contexts?q=%22%28%29", None, "query"),
        ("get", "/api/v1/contexts?bogus=1", None, "bogus"),
        ("get", "/api/v1/contexts?tag=%00&tag=0", None, "tag"),  # a NUL in any value of a repeated key
        ("get", "/api/v1/contexts?type=poem", None, "type"),
        ("get", "/api/v1/contexts?since=yesterday", None, "since"),
        ("get", "/api/v1/contexts?q=x&mode=fuzzy", None, "mode"),
        ("get", "/api/v1/contexts?until=2026-01-01T00:00:00", None, "until"),
        ("patch", "/api/v1/contexts/{id}", {"content": ""}, "content"),
        ("patch", "/api/v1/contexts/{id}", {"colour": "red"}, "colour"),
        ("patch", "/api/v1/contexts/{id}", {}, "content"),
        ("post", "/api/v1/contexts/{id}/delete", {"reason": "x" * 501}, "reason"),
        ("get", "/api/v1/contexts/not-a-uuid", None, "context_id"),
        ("post", "/api/v1/contexts", {"content": ""}, "content"),
        ("post", "/api/v1/contexts", {"content": "x", "type": "poem"}, "type"),
        ("post", "/api/v1/contexts", {"content": "x", "colour": "red"}, "colour"),
        ("post", "/api/v1/contexts", {"content": "x", "tags": ["a\u0000"]}, "tags[0]"),
    ],
)
async def test_bad_input_names_the_field_and_changes_nothing(
    app: AppContext, db: Database, http: httpx.AsyncClient, method: str, path: str, body: object, field: str
) -> None:
    stored = app.contexts.store(Caller("c1"), "keep me as I am")
    before = row_counts(db.engine)
    url = path.replace("{id}", str(stored.context.id))
    response = await getattr(http, method)(url, **({"json": body} if body is not None else {}))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field or field in str(error.get("errors")), error
    assert row_counts(db.engine) == before
    (full,) = app.context_reads.get([stored.context.id])
    assert full.context.content == "keep me as I am" and full.context.revision == 1


async def test_the_new_routes_refuse_a_foreign_origin_and_forms_without_their_token(
    app: AppContext, db: Database, http: httpx.AsyncClient
) -> None:
    stored = app.contexts.store(Caller("c1"), "a note a web page must not touch")
    page = f"/contexts/{stored.context.id}"
    before = row_counts(db.engine)
    foreign = {"Origin": "http://evil.example"}
    api = await http.post(f"/api/v1{page}/delete", json={"purge": True}, headers=foreign)
    patched = await http.patch(f"/api/v1{page}", json={"content": "defaced"}, headers=foreign)
    no_token = await http.post(f"{page}/delete", data={"confirm": "yes", "purge": "yes"})
    token = await form_token(http, page)
    cross_site = await http.post(
        f"{page}/delete", data={"confirm": "yes", "purge": "yes", "csrf_token": token}, headers=foreign
    )
    wrong_host = await http.get("/contexts", headers={"Host": "evil.example"})
    assert [r.status_code for r in (api, patched, no_token, cross_site)] == [403] * 4
    assert wrong_host.status_code == 421
    assert row_counts(db.engine) == before
    (full,) = app.context_reads.get([stored.context.id])
    assert full.context.content == "a note a web page must not touch" and full.context.deleted_at is None


async def test_a_note_is_stored_over_the_api_by_the_tools_rules(
    app: AppContext, db: Database, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    folder = tmp_path / "widgets"
    folder.mkdir()
    app.projects.create("widgets", roots=[str(folder)])
    secret = "sk-ant-api03-" + "a" * 90
    body = {
        "content": f"Deploys use the key {secret} from the vault.",
        "workspace": str(folder),
        "tags": ["ops"],
    }
    stored = await http.post("/api/v1/contexts", json=body)
    assert stored.status_code == 201, stored.text
    out = stored.json()
    assert out["outcome"] == "stored" and out["context"]["project"] == "widgets"
    assert out["redactions"] and secret not in stored.text
    (full,) = app.context_reads.get([uuid.UUID(out["context"]["id"])])
    assert secret not in full.context.content and "[REDACTED" in full.context.content
    again = (await http.post("/api/v1/contexts", json=body)).json()
    assert again["outcome"] == "duplicate" and again["context"]["id"] == out["context"]["id"]
    keyed = {"content": "We chose PostgreSQL.", "key": "decision/db", "project": "widgets"}
    first = (await http.post("/api/v1/contexts", json=keyed)).json()
    revised = (await http.post("/api/v1/contexts", json={**keyed, "content": "We chose SQLite."})).json()
    assert revised["outcome"] == "updated" and revised["context"]["id"] == first["context"]["id"]
    elsewhere = (await http.post("/api/v1/contexts", json={"content": "A loose thought."})).json()
    assert elsewhere["context"]["project"] == "Unassigned"
    before = row_counts(db.engine)
    unknown = await http.post("/api/v1/contexts", json={"content": "x", "project": "nowhere"})
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "project"
    assert row_counts(db.engine) == before
    foreign = await http.post(
        "/api/v1/contexts", json={"content": "planted"}, headers={"Origin": "http://evil.example"}
    )
    assert foreign.status_code == 403 and row_counts(db.engine) == before
