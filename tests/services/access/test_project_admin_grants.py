"""A project's admins manage its grants; nobody else does — a reader is refused (403), an outsider
told the project does not exist (404) before any grantee is looked up, nothing changed — and a
project admin's listing shows only the projects they administer."""

from __future__ import annotations

import pytest

from aidis.app import AppContext
from aidis.enums import Role, Surface
from aidis.errors import Forbidden, NotFound
from aidis.services.principal import Principal, acting_as


@pytest.fixture
def people(app: AppContext) -> dict[str, Principal]:
    """ada administers alpha, bob reads alpha and administers beta, cy has nothing."""
    for name in ("alpha", "beta"):
        app.projects.create(name)
    for person in ("ada", "bob", "cy"):
        app.team.add_user(person)
    app.team.grant("alpha", "admin", user="ada")
    app.team.grant("alpha", "read", user="bob")
    app.team.grant("beta", "admin", user="bob")
    return {
        person: app.team.authenticate(app.team.create_token(person)[1], surface=Surface.API)
        for person in ("ada", "bob", "cy")
    }


def _grants(app: AppContext, project: str) -> set[tuple[str | None, str | None, str]]:
    return {(g.user_name, g.group_name, g.role) for g in app.team.grants(project)}


def test_a_project_admin_grants_and_revokes_in_their_project(
    app: AppContext, people: dict[str, Principal]
) -> None:
    with acting_as(people["ada"], "grant"):
        app.team.grant("alpha", "write", user="cy")
        app.team.grant("alpha", "read", group="eng/platform")
        assert ("cy", None, "write") in _grants(app, "alpha")
        assert app.team.revoke_grant("alpha", group="eng/platform") == 1
    assert _grants(app, "alpha") == {("ada", None, "admin"), ("bob", None, "read"), ("cy", None, "write")}
    cy = app.team.authenticate(app.team.create_token("cy")[1], surface=Surface.API)
    assert cy.may(next(iter(cy.roles)), Role.WRITE)


def test_a_reader_is_forbidden_and_an_outsider_sees_no_project(
    app: AppContext, people: dict[str, Principal]
) -> None:
    before = _grants(app, "alpha")
    with acting_as(people["bob"], "grant"), pytest.raises(Forbidden) as reader:
        app.team.grant("alpha", "admin", user="bob")
    with acting_as(people["cy"], "grant"), pytest.raises(NotFound) as outsider:
        app.team.grant("alpha", "write", user="nobody-at-all")  # not "no user": the project is unknown
    with acting_as(people["ada"], "grant"), pytest.raises(NotFound):
        app.team.revoke_grant("beta", user="bob")
    assert reader.value.field == "project" and outsider.value.field == "project"
    assert "alpha" in outsider.value.message and "nobody-at-all" not in outsider.value.message
    with acting_as(people["bob"], "grants"), pytest.raises(Forbidden):
        app.team.grants("alpha")
    assert _grants(app, "alpha") == before and _grants(app, "beta") == {("bob", None, "admin")}


def test_a_project_admin_lists_only_the_projects_they_administer(
    app: AppContext, people: dict[str, Principal]
) -> None:
    with acting_as(people["bob"], "grants"):
        assert {g.project_name for g in app.team.grants()} == {"beta"}
    with acting_as(people["cy"], "grants"):
        assert app.team.grants() == []
    assert {g.project_name for g in app.team.grants()} == {"alpha", "beta"}  # the operator sees all
