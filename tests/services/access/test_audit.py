"""The audit trail: a person's reads, changes and refusals are recorded (ids and counts, never
content), a change only with its change, the trail is for server admins, it cannot be rewritten on
PostgreSQL, and only retention lets old entries go."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from aidis.app import AppContext
from aidis.db.schema import audit_log
from aidis.enums import AuditKind, Surface
from aidis.errors import Conflict, Forbidden
from aidis.services.caller import Caller
from aidis.services.memory.reads import ContextQuery
from aidis.services.principal import Principal, acting_as
from tests.support import FakeClock


@pytest.fixture
def ada(app: AppContext) -> Principal:
    """ada writes alpha and reads beta."""
    app.projects.create("alpha")
    app.projects.create("beta")
    app.contexts.store(Caller(connection_id="seed"), "the beta incident runbook", project="beta")
    app.team.add_user("ada")
    app.team.add_user("root", admin=True)
    app.team.grant("alpha", "write", user="ada")
    app.team.grant("beta", "read", user="ada")
    return app.team.authenticate(app.team.create_token("ada")[1], surface=Surface.MCP, address="10.1.2.3")


def _root(app: AppContext) -> Principal:
    return app.team.authenticate(app.team.create_token("root")[1], surface=Surface.API)


def test_reads_changes_and_refusals_are_recorded_without_content(app: AppContext, ada: Principal) -> None:
    caller = Caller(connection_id=f"u:{ada.user_id}/agent", principal=ada)
    with acting_as(ada, "context_store"):
        stored = app.contexts.store(caller, "alpha uses blue-green deploys", project="alpha")
    with acting_as(ada, "context_search"):
        found = app.context_reads.search(None, "runbook", ContextQuery(project="beta"))
    with acting_as(ada, "context_update"), pytest.raises(Forbidden) as refused:
        app.context_edits.update(None, found.items[0].id, content="rewritten")
    app.audit.denied(refused.value)  # no request: nothing
    with acting_as(ada, "context_update"):
        app.audit.denied(refused.value)
    with acting_as(_root(app), "audit"):
        entries = app.audit.entries(user="ada")
    kinds = {(e.kind, e.action) for e in entries}
    assert {("change", "context_store"), ("read", "context_search"), ("denied", "context_update")} <= kinds
    change = next(e for e in entries if e.kind == AuditKind.CHANGE)
    assert change.target_ids == [str(stored.context.id)] and change.address == "10.1.2.3"
    assert change.surface == "mcp" and change.token_id == ada.token_id
    assert "blue-green" not in str(entries) and "runbook" not in str(entries)


def test_a_refused_change_leaves_no_change_entry(app: AppContext, ada: Principal) -> None:
    def changes() -> int:
        with app.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(audit_log).where(audit_log.c.kind == "change")
                ).scalar_one()
            )

    before = changes()  # setting the team up (users, grants, tokens) is on the trail too
    assert before >= 5
    with acting_as(ada, "project_create"):
        app.projects.create("gamma")
        assert changes() == before + 1
        with pytest.raises(Conflict):
            app.projects.create("alpha")
        with pytest.raises(Forbidden):
            app.projects.rename("beta", "beta2")
    assert changes() == before + 1


def test_the_trail_is_for_server_admins(app: AppContext, ada: Principal) -> None:
    with acting_as(ada, "audit"), pytest.raises(Forbidden, match="server admins"):
        app.audit.entries()
    app.audit.entries()  # the operator on the command line (nobody in particular)


def test_only_retention_lets_entries_go(app: AppContext, ada: Principal, clock: FakeClock) -> None:
    with acting_as(ada, "context_search"):
        app.context_reads.search(None, "runbook", ContextQuery(project="beta"))
    app.audit.flush()
    if app.engine.dialect.name == "postgresql":
        with app.engine.begin() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(update(audit_log).values(user_name="mallory"))
        with app.engine.begin() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("DELETE FROM audit_log"))
    assert app.audit.prune(clock() - timedelta(days=1)) == 0
    assert app.audit.prune(clock() + timedelta(seconds=1)) >= 1
    assert app.audit.entries() == []
