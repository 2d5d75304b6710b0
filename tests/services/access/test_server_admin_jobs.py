"""Claims about team mode that only a test can defend: whole-server jobs (backfill, merges, export,
import, retention) are for server admins — a project admin gets Forbidden and nothing changes, while a
server admin's run works; a member adds no user and makes no token for someone else; attribution never
files a person's session into a project they may only read."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aidis.app import AppContext
from aidis.enums import SENTINEL_PROJECT_ID, Surface, WorkspaceSource
from aidis.errors import Forbidden
from aidis.services.caller import Caller, WorkspaceHint
from aidis.services.memory.exports import ExportScope
from aidis.services.principal import Principal, acting_as
from tests.support import row_counts

SEED = Caller(connection_id="seed")


@pytest.fixture
def people(app: AppContext) -> dict[str, Principal]:
    """pam administers alpha and beta (a project admin, not a server admin); root is a server admin."""
    for name in ("alpha", "beta"):
        app.projects.create(name)
        app.contexts.store(SEED, f"{name} note kept for the jobs", project=name)
    app.team.add_user("pam")
    app.team.add_user("root", admin=True)
    app.team.grant("alpha", "admin", user="pam")
    app.team.grant("beta", "admin", user="pam")
    return {
        name: app.team.authenticate(app.team.create_token(name)[1], surface=Surface.CLI)
        for name in ("pam", "root")
    }


def _exported(app: AppContext) -> list[str]:
    """This server's own export (made as the operator), to import again."""
    out = io.StringIO()
    with acting_as(None):
        app.exports.write_jsonl(app.exports.scope(), out)
    return out.getvalue().splitlines()


JOBS: dict[str, Callable[[AppContext], Any]] = {
    "backfill": lambda app: app.backfill.run(),
    "backfill dry run": lambda app: app.backfill.run(dry_run=True),
    "merge": lambda app: app.merges.merge("alpha", "beta"),
    "export": lambda app: list(app.exports.records(app.exports.scope())),
    "export one project": lambda app: app.exports.scope("alpha"),
    "import": lambda app: app.export_importer.load(_exported(app)),
    "prune": lambda app: app.retention.prune("1d"),
    "add a user": lambda app: app.team.add_user("mallory"),
    "a token for someone else": lambda app: app.team.create_token("root"),
}


@pytest.mark.parametrize("job", list(JOBS))
def test_whole_server_jobs_are_refused_to_a_project_admin(
    app: AppContext, people: dict[str, Principal], job: str
) -> None:
    before = row_counts(app.engine)
    with acting_as(people["pam"], job), pytest.raises(Forbidden) as refused:
        JOBS[job](app)
    assert "admin" in refused.value.message
    assert row_counts(app.engine) == before, f"a refused {job} changed something"
    with acting_as(people["root"], job):
        result = JOBS[job](app)  # the same job, run by a server admin, is not refused
    if job == "merge":
        assert result.sessions >= 1 and "alpha" not in {p.name for p in app.projects.choices()}
    if job == "export":
        kinds = {kind for kind, _ in result}
        assert {"project", "context", "session"} <= kinds
    if job == "export one project":
        assert isinstance(result, ExportScope) and result.project_ids == [app.projects.get("alpha").id]


def test_attribution_never_files_a_session_into_a_project_its_person_may_only_read(
    app: AppContext, tmp_path: Path
) -> None:
    folder = tmp_path / "alpha"
    folder.mkdir()
    app.projects.create("alpha", roots=[str(folder)])
    app.team.add_user("rita")
    app.team.grant("alpha", "read", user="rita")
    rita = app.team.authenticate(app.team.create_token("rita")[1], surface=Surface.MCP)
    caller = Caller(
        connection_id=f"u:{rita.user_id}/work",
        workspaces=(WorkspaceHint(str(folder), WorkspaceSource.ROOTS),),
        principal=rita,
    )
    with acting_as(rita, "context_store"):
        stored = app.contexts.store(caller, "a note from alpha's folder")
    assert stored.session.project_id == SENTINEL_PROJECT_ID  # Unassigned, not alpha
    assert stored.context.project_id == SENTINEL_PROJECT_ID
    suggested = stored.session.metadata.get("workspace") or {}
    assert suggested.get("matched") != "root" or suggested.get("project") is None
