"""/api/v1/projects/{ref}/grants: a project's admins list, set and revoke its grants over HTTP; a reader
gets 403, an outsider 404 (the project's grants are not even confirmed to exist), bad input names its
field, and nothing changes on any refusal."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from aidis.app import AppContext
from tests.web.forms import asgi_client


@pytest.fixture
async def http(app: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as client:
        yield client


@pytest.fixture
def tokens(app: AppContext) -> dict[str, dict[str, str]]:
    """ada administers alpha; bob reads alpha; cy has nothing."""
    app.projects.create("alpha")
    for person in ("ada", "bob", "cy"):
        app.team.add_user(person)
    app.team.grant("alpha", "admin", user="ada")
    app.team.grant("alpha", "read", user="bob")
    return {p: {"Authorization": f"Bearer {app.team.create_token(p)[1]}"} for p in ("ada", "bob", "cy")}


def _held(app: AppContext) -> set[tuple[str | None, str | None, str]]:
    return {(g.user_name, g.group_name, g.role) for g in app.team.grants("alpha")}


async def test_a_project_admin_manages_its_grants_over_http(
    http: httpx.AsyncClient, app: AppContext, tokens: dict[str, dict[str, str]]
) -> None:
    put = await http.put(
        "/api/v1/projects/alpha/grants", json={"user": "cy", "role": "write"}, headers=tokens["ada"]
    )
    assert put.status_code == 200 and put.json() == {
        "project": "alpha",
        "user": "cy",
        "group": None,
        "role": "write",
    }
    listed = await http.get("/api/v1/projects/alpha/grants", headers=tokens["ada"])
    assert {(g["user"], g["role"]) for g in listed.json()["items"]} == {
        ("ada", "admin"),
        ("bob", "read"),
        ("cy", "write"),
    }
    gone = await http.request(
        "DELETE", "/api/v1/projects/alpha/grants", json={"user": "cy"}, headers=tokens["ada"]
    )
    assert gone.status_code == 200 and gone.json() == {"removed": 1}
    assert _held(app) == {("ada", None, "admin"), ("bob", None, "read")}


async def test_others_are_refused_and_nothing_changes(
    http: httpx.AsyncClient, app: AppContext, tokens: dict[str, dict[str, str]]
) -> None:
    before = _held(app)
    reader = await http.put(
        "/api/v1/projects/alpha/grants", json={"user": "bob", "role": "admin"}, headers=tokens["bob"]
    )
    assert reader.status_code == 403 and reader.json()["error"]["field"] == "project"
    for method in ("GET", "PUT", "DELETE"):
        outsider = await http.request(
            method,
            "/api/v1/projects/alpha/grants",
            json={"PUT": {"user": "cy", "role": "admin"}, "DELETE": {"user": "ada"}}.get(method),
            headers=tokens["cy"],
        )
        assert outsider.status_code == 404, (method, outsider.text)
        assert "ada" not in outsider.text and "admin" not in outsider.json()["error"]["message"]
    assert _held(app) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"user": "cy", "group": "eng", "role": "read"}, "user"),
        ({"role": "read"}, "user"),
        ({"user": "cy", "role": "owner"}, "role"),
        ({"user": "cy", "role": "read", "extra": 1}, "extra"),
        ({"user": "no such person", "role": "read"}, "user"),
        ({"user": "nobody", "role": "read"}, "user"),
    ],
)
async def test_bad_grant_input_names_the_field(
    http: httpx.AsyncClient,
    app: AppContext,
    tokens: dict[str, dict[str, str]],
    body: dict[str, object],
    field: str,
) -> None:
    before = _held(app)
    refused = await http.put("/api/v1/projects/alpha/grants", json=body, headers=tokens["ada"])
    assert refused.status_code in (400, 404, 422), refused.text
    assert field in str(refused.json()["error"].get("field")), refused.json()
    assert _held(app) == before


async def test_a_grant_change_from_a_web_page_is_refused(
    http: httpx.AsyncClient, app: AppContext, tokens: dict[str, dict[str, str]]
) -> None:
    """The browser guard stands in front of the grants routes too: a foreign Origin (403), a body that is
    not JSON (415) or a foreign Host (421) changes nothing, even with an admin's token."""
    before = _held(app)
    url, body = "/api/v1/projects/alpha/grants", {"user": "cy", "role": "admin"}
    cross = await http.put(url, json=body, headers={**tokens["ada"], "Origin": "http://evil.example"})
    assert cross.status_code == 403
    plain = await http.put(
        url, content=json.dumps(body), headers={**tokens["ada"], "Content-Type": "text/plain"}
    )
    assert plain.status_code == 415 and plain.json()["error"]["field"] == "Content-Type"
    rebound = await http.request(
        "DELETE", url, json={"user": "bob"}, headers={**tokens["ada"], "Host": "evil.example:8765"}
    )
    assert rebound.status_code == 421
    assert _held(app) == before
