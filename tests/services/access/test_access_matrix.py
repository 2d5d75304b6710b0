"""The access matrix: three people × three projects × every kind of operation. A project one may not
read does not exist for them (not found, its name and content never echoed); one they may read but not
change refuses the change (forbidden); a refusal changes nothing; what is allowed works."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from aidis.app import AppContext
from aidis.db.schema import contexts, projects
from aidis.enums import Role, Surface
from aidis.errors import Forbidden, NotFound
from aidis.records import SessionFilter
from aidis.services.caller import Caller
from aidis.services.memory.reads import ContextQuery
from aidis.services.principal import Principal, acting_as
from tests.support import row_counts

SECRET = "zebra-{project} launch codes live in the vault"

# who holds what: every person holds three different levels, every level appears
GRANTS: dict[str, dict[str, Role | None]] = {
    "ada": {"alpha": None, "beta": Role.READ, "gamma": Role.WRITE},
    "bob": {"alpha": Role.READ, "beta": Role.WRITE, "gamma": Role.ADMIN},
    "cyd": {"alpha": Role.WRITE, "beta": Role.ADMIN, "gamma": None},
}

Op = Callable[[AppContext, str, uuid.UUID, Principal], Any]


def _search(app: AppContext, project: str, _: uuid.UUID, __: Principal) -> Any:
    return app.context_reads.search(None, "zebra launch", ContextQuery(project=project))


def _recent(app: AppContext, project: str, _: uuid.UUID, __: Principal) -> Any:
    return app.context_reads.recent(None, ContextQuery(project=project))


def _get(app: AppContext, _: str, context_id: uuid.UUID, __: Principal) -> Any:
    return app.context_reads.get([context_id])


def _timeline(app: AppContext, _: str, context_id: uuid.UUID, __: Principal) -> Any:
    return app.context_reads.timeline(context_id)


def _session(app: AppContext, _: str, context_id: uuid.UUID, __: Principal) -> Any:
    with app.engine.connect() as conn:  # the session that stored the context (looked up as the system)
        session_id = conn.execute(
            select(contexts.c.session_id).where(contexts.c.id == context_id)
        ).scalar_one()
    return app.sessions.detail(session_id)


def _stats(app: AppContext, project: str, _: uuid.UUID, __: Principal) -> Any:
    return app.stats.session_stats(project)


def _project(app: AppContext, project: str, _: uuid.UUID, __: Principal) -> Any:
    return app.projects.get(project)


def _store(app: AppContext, project: str, _: uuid.UUID, who: Principal) -> Any:
    caller = Caller(connection_id=f"u:{who.user_id}/agent", principal=who)
    return app.contexts.store(caller, "a new note about the rollout", project=project)


def _update(app: AppContext, _: str, context_id: uuid.UUID, __: Principal) -> Any:
    return app.context_edits.update(None, context_id, content="rewritten by someone")


def _delete(app: AppContext, _: str, context_id: uuid.UUID, __: Principal) -> Any:
    return app.context_edits.delete(None, context_id, reason="cleanup")


def _purge(app: AppContext, _: str, context_id: uuid.UUID, __: Principal) -> Any:
    return app.context_edits.delete(None, context_id, purge=True, reason="gone")


def _rename(app: AppContext, project: str, _: uuid.UUID, __: Principal) -> Any:
    renamed = app.projects.rename(project, f"{project}-renamed")
    app.projects.rename(renamed.name, project)  # as the system: put it back for the next cell
    return renamed


OPERATIONS: dict[str, tuple[Role, Op]] = {
    "search": (Role.READ, _search),
    "recent": (Role.READ, _recent),
    "get": (Role.READ, _get),
    "timeline": (Role.READ, _timeline),
    "session": (Role.READ, _session),
    "stats": (Role.READ, _stats),
    "project": (Role.READ, _project),
    "store": (Role.WRITE, _store),
    "update": (Role.WRITE, _update),
    "delete": (Role.WRITE, _delete),
    "purge": (Role.ADMIN, _purge),
    "rename": (Role.ADMIN, _rename),
}


def _snapshot(app: AppContext) -> tuple[dict[str, int], list[Any], list[Any]]:
    with app.engine.connect() as conn:
        texts = sorted(conn.execute(select(contexts.c.id, contexts.c.content, contexts.c.deleted_at)).all())
        names = sorted(conn.execute(select(projects.c.id, projects.c.name)).all())
    return row_counts(app.engine), texts, names


# operations whose answer carries the asked project's text (the others answer records or counts)
SHOWS_TEXT = {"search", "recent", "get", "timeline"}


def _only_readable(shown: str, person: str, project: str, operation: str) -> None:
    """An allowed call's answer holds the asked project's text where it shows texts, and never the text
    of a project the person may not read (whatever the call was asked)."""
    if operation in SHOWS_TEXT:
        assert SECRET.format(project=project) in shown, (person, project, operation)
    for other, role in GRANTS[person].items():
        if role is None:
            assert f"zebra-{other}" not in shown, f"{operation} as {person} showed {other}'s text"


def set_up_people(app: AppContext, surface: Surface) -> dict[str, Principal]:
    """alpha, beta, gamma and the people of GRANTS, each authenticated with a token of their own."""
    for project in ("alpha", "beta", "gamma"):
        app.projects.create(project)
    for person, held in GRANTS.items():
        app.team.add_user(person)
        for project, role in held.items():
            if role is not None:
                app.team.grant(project, role.value, user=person)
    return {
        person: app.team.authenticate(app.team.create_token(person)[1], surface=surface) for person in GRANTS
    }


@pytest.fixture
def people(app: AppContext) -> dict[str, Principal]:
    return set_up_people(app, Surface.API)


@pytest.fixture
def readers(app: AppContext, people: dict[str, Principal]) -> dict[str, Principal]:
    """The same people, each through a read-only token of their own."""
    return {
        person: app.team.authenticate(app.team.create_token(person, role="read")[1], surface=Surface.API)
        for person in GRANTS
    }


def _capped(role: Role | None, token: str) -> Role | None:
    """What a person may do in a project through a token: their grant, at most reading for a read token."""
    if role is None or token == "full":
        return role
    return Role.READ


@pytest.mark.parametrize("token", ["full", "read-only"])
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_each_person_may_do_exactly_what_their_grant_allows(
    app: AppContext, people: dict[str, Principal], readers: dict[str, Principal], operation: str, token: str
) -> None:
    needed, run = OPERATIONS[operation]
    who = people if token == "full" else readers
    for person, held in GRANTS.items():
        for project, granted in held.items():
            role = _capped(granted, token)
            seed = Caller(connection_id=f"seed-{project}")  # one session per project, started in it
            context_id = app.contexts.store(seed, SECRET.format(project=project), project=project).context.id
            before = _snapshot(app)
            with acting_as(who[person], operation):
                if role is None:
                    with pytest.raises(NotFound) as refused:
                        run(app, project, context_id, who[person])
                elif role.rank < needed.rank:
                    with pytest.raises(Forbidden) as refused:
                        run(app, project, context_id, who[person])
                else:
                    shown = repr(run(app, project, context_id, who[person]))
                    _only_readable(shown, person, project, operation)
                    continue
            assert _snapshot(app) == before, f"{person} changed {project} by a refused {operation}"
            message = refused.value.message
            assert "zebra" not in message and "vault" not in message, message
            if role is None:
                assert project not in message.replace(f"'{project}'", ""), (person, project, message)


def test_nobody_sees_another_persons_unassigned_sessions(
    app: AppContext, people: dict[str, Principal]
) -> None:
    mine = {}
    for person, who in people.items():
        caller = Caller(connection_id=f"u:{who.user_id}/plain", principal=who)
        with acting_as(who, "session_new"):
            mine[person] = app.sessions.start(caller.connection_id).id
    for person, who in people.items():
        with acting_as(who, "session_list"):
            seen = {s.id for s in app.sessions.list(SessionFilter(unassigned=True))[0]}
            assert seen == {mine[person]}
            for other, session_id in mine.items():
                if other != person:
                    with pytest.raises(NotFound):
                        app.sessions.get(session_id)


def test_a_listing_by_a_hidden_project_id_shows_nothing(
    app: AppContext, people: dict[str, Principal]
) -> None:
    hidden = {p: app.projects.get(p).id for p in ("alpha", "gamma")}
    for project, project_id in hidden.items():
        app.contexts.store(
            Caller(connection_id=f"seed-{project}"), SECRET.format(project=project), project=project
        )
        everyone = app.sessions.list(SessionFilter(project_id=project_id))[0]
        assert everyone
        blind = "ada" if project == "alpha" else "cyd"
        with acting_as(people[blind], "session_list"):
            assert app.sessions.list(SessionFilter(project_id=project_id)) == ([], 0)
            # ada reads beta and gamma (no notes yet); cyd reads alpha and beta (alpha's one note)
            assert app.stats.totals()["contexts"] == (0 if blind == "ada" else 1)


def _hook(app: AppContext, who: Principal, name: str, session_id: str, cwd: Path, **more: Any) -> Any:
    record = {
        "id": uuid.uuid4().hex,
        "agent": "claude-code",
        "payload": {"session_id": session_id, "cwd": str(cwd), "hook_event_name": name, **more},
    }
    with acting_as(who, "hook"):
        return app.hooks.apply(record)


@pytest.mark.parametrize("token", ["full", "read-only"])
def test_hooks_follow_the_same_grants(
    app: AppContext,
    people: dict[str, Principal],
    readers: dict[str, Principal],
    tmp_path: Path,
    token: str,
) -> None:
    """The hooks column: an agent working in a project's folder records its session there only where its
    person may write; elsewhere the session is their own Unassigned one (a hidden project never named),
    and through a read-only token nothing at all is recorded."""
    folders = {}
    for project in ("alpha", "beta", "gamma"):
        folders[project] = tmp_path / project
        folders[project].mkdir()
        app.workspaces.update(project, add_roots=[str(folders[project])])
    who = people if token == "full" else readers
    for person, held in GRANTS.items():
        for project, granted in held.items():
            session_id = f"{person}-{project}"
            if token == "read-only":
                before = _snapshot(app)
                with pytest.raises(Forbidden) as refused:
                    _hook(app, who[person], "SessionStart", session_id, folders[project], source="startup")
                assert refused.value.field == "token" and "read" in refused.value.message
                assert _snapshot(app) == before, f"{person}'s read-only hook wrote in {project}"
                continue
            started = _hook(app, who[person], "SessionStart", session_id, folders[project], source="startup")
            tool = _hook(
                app,
                who[person],
                "PostToolUse",
                session_id,
                folders[project],
                tool_name="Read",
                tool_input={"file_path": str(folders[project] / "app.py")},
                tool_response={},
            )
            session = started.session
            assert session is not None and tool.session is not None and tool.session.id == session.id
            assert session.user_id == who[person].user_id
            writable = granted is not None and granted.rank >= Role.WRITE.rank
            assert (session.project_display_name == project) is writable, (person, project, session)
            if granted is None:  # nothing recorded with the session tells it whose folder that was
                hidden = str(app.projects.get(project).id)
                assert hidden not in repr(session.metadata), (person, project, session.metadata)
                assert session.metadata["workspace"]["matched"] == "unknown", session.metadata
