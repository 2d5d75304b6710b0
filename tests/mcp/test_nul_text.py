"""A NUL character is refused the same way on both engines, on every surface, naming the field."""

from __future__ import annotations

import httpx
import pytest

from aidis.app import AppContext
from aidis.web.app import create_web_app
from tests.mcp.conftest import ClientFactory, call_error
from tests.support import Database, row_counts

NUL_CASES = [
    ("context_store", {"content": "nul \u0000 byte"}, "content"),
    ("context_store", {"content": "ok", "tags": ["fine", "bad\u0000tag"]}, "tags[1]"),
    ("session_new", {"title": "t\u0000"}, "title"),
    ("project_create", {"name": "p\u0000"}, "name"),
    ("context_search", {"query": "a\u0000b"}, "query"),
]


@pytest.mark.parametrize(("tool", "args", "field"), NUL_CASES)
async def test_tools_refuse_nul_naming_the_field_and_write_nothing(
    connect: ClientFactory, db: Database, tool: str, args: dict[str, object], field: str
) -> None:
    before = row_counts(db.engine)
    async with connect() as client:
        message = await call_error(client, tool, args)
    assert f"{field}: must not contain NUL" in message and "Nothing was changed" in message
    assert "internal error" not in message
    assert row_counts(db.engine) == before


async def test_the_api_refuses_nul_in_the_body_and_the_query(app: AppContext, db: Database) -> None:
    app.projects.create("alpha")
    ref = app.sessions.start("c1").display_id
    before = row_counts(db.engine)
    web = create_web_app(app, run_maintenance=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://127.0.0.1:8765"
    ) as http:
        body = await http.post("/api/v1/sessions/assign", json={"session_ids": [ref], "project": "al\u0000"})
        query = await http.get("/api/v1/sessions", params={"q": "x\u0000y"})
    assert body.status_code == 422 and body.json()["error"]["field"] == "project"
    assert query.status_code == 422 and query.json()["error"]["field"] == "q"
    assert row_counts(db.engine) == before
