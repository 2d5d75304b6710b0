"""People, tokens and grants: a token is shown once and kept as a hash, every bad token is refused
saying what is wrong only to its holder, a disabled user or a revoked token stops at once, and a
principal holds exactly its grants capped by its token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from aidis.app import AppContext
from aidis.db.schema import api_tokens, contexts
from aidis.enums import Role, Surface
from aidis.errors import Conflict, InvalidInput, NotFound, Unauthorized
from aidis.services.access import expires_from
from aidis.services.access.tokens import hash_token
from aidis.services.caller import Caller
from tests.support import FakeClock


def _team(app: AppContext) -> tuple[str, str]:
    app.projects.create("alpha")
    app.projects.create("beta")
    app.team.add_user("ada", email="ada@example.com")
    app.team.grant("alpha", "write", user="ada")
    app.team.grant("beta", "read", user="ada")
    _, token = app.team.create_token("ada")
    return "ada", token


def test_a_token_is_shown_once_and_kept_only_as_a_hash(app: AppContext) -> None:
    _, token = _team(app)
    assert token.startswith("aidis_pat_") and len(token) == len("aidis_pat_") + 12 + 1 + 40
    with app.engine.connect() as conn:
        stored = conn.execute(select(api_tokens)).one()
    assert token not in str(stored._mapping) and stored.secret_hash == hash_token(token)
    listed = app.team.tokens("ada")
    assert [t.public_id for t, _ in listed] == [token[10:22]]


def test_a_principal_holds_its_grants_capped_by_its_token(app: AppContext) -> None:
    _, token = _team(app)
    alpha, beta = app.projects.get("alpha"), app.projects.get("beta")
    ada = app.team.authenticate(token, surface=Surface.API, address="10.0.0.1")
    assert ada.role_in(alpha.id) is Role.WRITE and ada.role_in(beta.id) is Role.READ
    _, read_only = app.team.create_token("ada", role="read", projects=["alpha"])
    capped = app.team.authenticate(read_only, surface=Surface.MCP)
    assert capped.role_in(alpha.id) is Role.READ and capped.role_in(beta.id) is None
    assert not capped.may_create


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda t: "", "not an AIDIS token"),
        (lambda t: "Bearer " + t, "not an AIDIS token"),
        (lambda t: t[:-1], "not an AIDIS token"),
        (lambda t: t + "x" * 600, "too long"),
        (lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), "unknown token"),
        (lambda t: "aidis_pat_" + "Z" * 12 + "_" + t[-40:], "unknown token"),
        (lambda t: t.replace("_", "\u0000", 1), "not an AIDIS token"),
    ],
)
def test_a_bad_token_is_refused_saying_what_is_wrong(app: AppContext, mangle: object, message: str) -> None:
    _, token = _team(app)
    with pytest.raises(Unauthorized, match=message) as caught:
        app.team.authenticate(mangle(token), surface=Surface.API)  # type: ignore[operator]
    assert caught.value.field == "Authorization"


def test_revoked_expired_and_disabled_stop_at_once(app: AppContext, clock: FakeClock) -> None:
    _, token = _team(app)
    _, short = app.team.create_token("ada", expires_in=timedelta(hours=1))
    app.team.authenticate(short, surface=Surface.API)
    clock.advance(hours=2)
    with pytest.raises(Unauthorized, match="expired"):
        app.team.authenticate(short, surface=Surface.API)
    app.team.set_disabled("ada", True)
    with pytest.raises(Unauthorized, match="disabled"):
        app.team.authenticate(token, surface=Surface.API)
    app.team.set_disabled("ada", False)
    app.team.revoke_token(token[10:22])
    with pytest.raises(Unauthorized, match="revoked"):
        app.team.authenticate(token, surface=Surface.API)
    with pytest.raises(Conflict, match="already revoked"):
        app.team.revoke_token(token[10:22])


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda app: app.team.add_user("ada\u001b[31m"), "name"),
        (lambda app: app.team.add_user(""), "name"),
        (lambda app: app.team.add_user("x" * 65), "name"),
        (lambda app: app.team.add_user("ada"), "name"),  # taken
        (lambda app: app.team.add_user("eve", email="not-an-email"), "email"),
        (lambda app: app.team.grant("no-such-project", "read", user="ada"), "project"),
        (lambda app: app.team.grant("alpha", "owner", user="ada"), "role"),
        (lambda app: app.team.grant("alpha", "read"), "user"),
        (lambda app: app.team.grant("Unassigned", "read", user="ada"), "project"),
        (lambda app: app.team.create_token("nobody"), "user"),
        (lambda app: app.team.create_token("ada", projects=["no-such-project"]), "project"),
        (lambda app: app.team.create_token("ada", expires_in=timedelta(minutes=5)), "expires"),
        (lambda app: app.team.revoke_token("nothing"), "token"),
    ],
)
def test_bad_team_input_names_the_field_and_changes_nothing(
    app: AppContext, call: object, field: str
) -> None:
    _team(app)
    before = (len(app.team.users()), len(app.team.grants()), len(app.team.tokens()))
    with pytest.raises((InvalidInput, NotFound, Conflict)) as caught:
        call(app)  # type: ignore[operator]
    assert caught.value.field == field
    assert (len(app.team.users()), len(app.team.grants()), len(app.team.tokens())) == before


def test_a_pasted_token_is_redacted_before_it_is_stored(app: AppContext) -> None:
    _, token = _team(app)
    stored = app.contexts.store(Caller("c"), f"my token is {token} keep it", project="alpha")
    with app.engine.connect() as conn:
        content = conn.execute(
            select(contexts.c.content).where(contexts.c.id == stored.context.id)
        ).scalar_one()
    assert token not in content and "[REDACTED:aidis_token]" in content


def test_lifetimes_read_like_people_write_them() -> None:
    assert expires_from("90d") == timedelta(days=90)
    assert expires_from("12h") == timedelta(hours=12) and expires_from("2w") == timedelta(weeks=2)
    assert expires_from("never") is None
    with pytest.raises(InvalidInput) as caught:
        expires_from("soon")
    assert caught.value.field == "expires"


def test_a_tokens_last_use_is_noted_at_most_once_a_minute(app: AppContext, clock: FakeClock) -> None:
    _, token = _team(app)

    def last_used() -> object:
        [(row, _)] = app.team.tokens("ada")
        return row.last_used_at

    assert last_used() is None
    first = clock()
    app.team.authenticate(token, surface=Surface.API)
    assert last_used() == first
    clock.advance(seconds=30)
    app.team.authenticate(token, surface=Surface.API)
    assert last_used() == first
    later = clock.advance(minutes=2)
    app.team.authenticate(token, surface=Surface.API)
    assert last_used() == later


def test_team_mode_keeps_its_last_answer_while_the_database_is_away(
    app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aidis.errors import Unavailable
    from aidis.services.access import team as team_module

    def away(_conn: object) -> bool:
        raise Unavailable("the AIDIS database cannot be reached right now")

    monkeypatch.setattr(team_module, "TEAM_MODE_SECONDS", 0.0)  # ask the database every time
    monkeypatch.setattr(team_module.repo, "any_users", away)
    with pytest.raises(Unavailable):  # nothing known yet: say so
        app.team.team_mode()
    monkeypatch.undo()
    monkeypatch.setattr(team_module, "TEAM_MODE_SECONDS", 0.0)
    app.team.add_user("ada")
    assert app.team.team_mode() is True
    monkeypatch.setattr(team_module.repo, "any_users", away)
    assert app.team.team_mode() is True  # a team server stays one while its database is away
