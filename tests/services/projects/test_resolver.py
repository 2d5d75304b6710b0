"""Projects know their workspaces: resolution from real git repositories, on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from aidis.app import AppContext
from aidis.db.schema import project_workspaces
from aidis.enums import SENTINEL_PROJECT_ID, WorkspaceSource
from aidis.errors import Conflict, InvalidInput
from aidis.services.caller import Caller, WorkspaceHint
from aidis.services.projects.probe import normalize_remote
from aidis.services.projects.resolver import WorkspaceResolver
from tests.gitrepos import add_worktree, make_repo
from tests.support import Database, FakeClock, row_counts


def cwd(path: Path) -> tuple[WorkspaceHint, ...]:
    return (WorkspaceHint(str(path), WorkspaceSource.CWD),)


def start_in(app: AppContext, name: str, path: Path, source: WorkspaceSource = WorkspaceSource.CWD):
    return app.sessions.start(name, workspaces=(WorkspaceHint(str(path), source),))


@pytest.mark.parametrize(
    "url",
    [
        "git@github.com:acme/widgets.git",
        "https://github.com/acme/widgets",
        "https://github.com/Acme/Widgets.git/",
        "ssh://git@github.com:22/acme/widgets.git",
        "https://user:s3cret@github.com/acme/widgets.git",
        "git://github.com/acme/widgets",
    ],
)
def test_remote_spellings_are_one_identity_without_credentials(url: str) -> None:
    assert normalize_remote(url) == "github.com/acme/widgets"


@pytest.mark.parametrize("url", ["", "/srv/git/widgets.git", "file:///srv/git/widgets", "../widgets"])
def test_local_remotes_identify_nothing(url: str) -> None:
    assert normalize_remote(url) is None


def test_a_new_repository_becomes_a_project_named_after_its_remote(
    app: AppContext, home: Path, db: Database
) -> None:
    repo = make_repo(home / "code" / "widgets", "git@github.com:acme/widgets.git")
    session = start_in(app, "c1", repo)
    assert session.project_name == "acme/widgets"
    assert session.metadata["project_source"] == "workspace"
    [change] = app.sessions.detail(session.id).changes
    assert (change.reason, change.actor) == ("workspace", "system")
    assert change.details["source"] == "cwd" and change.details["matched"] == "created"
    assert change.details["identity"] == "github.com/acme/widgets"
    held = {(w.kind.value, w.identity) for w in app.workspaces.list("acme/widgets")}
    assert held == {("root", str(repo)), ("repo", "github.com/acme/widgets")}
    assert app.integrity.check().clean


def test_subdirectories_and_worktrees_are_one_project(app: AppContext, home: Path) -> None:
    repo = make_repo(home / "widgets", commit=True)
    (repo / "src" / "deep").mkdir(parents=True)
    other = add_worktree(repo, home / "widgets-feature", "feature")
    first = start_in(app, "c1", repo / "src" / "deep")
    second = start_in(app, "c2", other)
    third = start_in(app, "c3", repo)
    assert first.project_name == second.project_name == third.project_name == "widgets"
    assert len([p for p in app.projects.list() if not p.project.is_sentinel]) == 1


def test_another_clone_of_the_same_remote_joins_the_project(app: AppContext, home: Path) -> None:
    make_repo(home / "a" / "widgets", "git@github.com:acme/widgets.git")
    clone = make_repo(home / "b" / "w2", "https://github.com/acme/widgets")
    start_in(app, "c1", home / "a" / "widgets")
    session = start_in(app, "c2", clone)
    assert session.project_name == "acme/widgets"
    assert app.sessions.detail(session.id).changes[0].details["matched"] == "repo"


def test_home_root_and_a_parent_of_several_repositories_are_never_guessed(
    app: AppContext, home: Path
) -> None:
    make_repo(home / "projects" / "one")
    make_repo(home / "projects" / "two")
    start_in(app, "seed", home / "projects" / "one")  # "one" is now a known project
    for n, path in enumerate([home, Path("/"), home / "projects"]):
        session = start_in(app, f"amb-{n}", path)
        assert session.project_id == SENTINEL_PROJECT_ID, path
        assert session.metadata["workspace"]["matched"] == "ambiguous"
    parent = app.sessions.status("amb-2")
    assert parent is not None
    one = app.projects.get("one")
    assert str(one.id) in parent.metadata["workspace"]["candidates"]
    hint = app.sessions.attribution_hint(Caller("amb-2"), parent)
    assert hint is not None and "session_assign" in hint and "one" in hint


def test_a_plain_folder_creates_no_project_and_says_how_to_claim_it(app: AppContext, home: Path) -> None:
    scratch = home / "scratch"
    scratch.mkdir()
    session = start_in(app, "c1", scratch)
    assert session.project_id == SENTINEL_PROJECT_ID
    assert session.metadata["workspace"] == {"source": "cwd", "path": str(scratch), "matched": "unknown"}
    assert [p.project.name for p in app.projects.list()] == ["__unassigned__"]
    hint = app.sessions.attribution_hint(Caller("c1", workspaces=cwd(scratch)), session)
    assert hint is not None and "project_update" in hint


def test_a_root_registered_by_hand_wins_inside_a_monorepo(app: AppContext, home: Path) -> None:
    mono = make_repo(home / "mono", "git@github.com:acme/mono.git")
    api = mono / "services" / "api"
    api.mkdir(parents=True)
    app.projects.create("payments-api", roots=[str(api)])
    inside = start_in(app, "c1", api)
    elsewhere = start_in(app, "c2", mono)
    assert inside.project_name == "payments-api"
    assert elsewhere.project_name == "acme/mono"


def test_a_taken_name_gets_a_suffix_never_a_silent_merge(app: AppContext, home: Path) -> None:
    app.projects.create("widgets")
    session = start_in(app, "c1", make_repo(home / "widgets"))
    assert session.project_name == "widgets (2)"


def test_automatic_projects_can_be_turned_off(app: AppContext, home: Path) -> None:
    app.sessions.resolver = WorkspaceResolver(auto_projects=False, home=home)
    session = start_in(app, "c1", make_repo(home / "widgets"))
    assert session.project_id == SENTINEL_PROJECT_ID


def test_the_explicit_project_beats_the_workspace(app: AppContext, home: Path) -> None:
    app.projects.create("chosen")
    repo = make_repo(home / "widgets")
    session = app.sessions.start("c1", project="chosen", workspaces=cwd(repo))
    assert session.project_name == "chosen" and session.metadata["project_source"] == "explicit"
    assert [p.project.name for p in app.projects.list() if not p.project.is_sentinel] == ["chosen"]


def test_stronger_evidence_comes_first(app: AppContext, home: Path) -> None:
    roots_dir = make_repo(home / "from-roots")
    cwd_dir = make_repo(home / "from-cwd")
    hints = (
        WorkspaceHint(str(roots_dir), WorkspaceSource.ROOTS),
        WorkspaceHint(str(cwd_dir), WorkspaceSource.CWD),
    )
    session = app.sessions.start("c1", workspaces=hints)
    assert session.project_name == "from-roots"


def test_an_archived_project_takes_no_automatic_sessions(app: AppContext, home: Path) -> None:
    repo = make_repo(home / "old")
    start_in(app, "c1", repo)
    app.projects.archive("old")
    session = start_in(app, "c2", repo)
    assert session.project_id == SENTINEL_PROJECT_ID


def test_no_guess_from_the_agents_last_project(app: AppContext, home: Path, clock: FakeClock) -> None:
    repo_a = make_repo(home / "repo-a")
    elsewhere = home / "notes"
    elsewhere.mkdir()
    first = app.sessions.start("c1", agent_type="claude-code", workspaces=cwd(repo_a))
    clock.advance(minutes=1)
    second = app.sessions.start("c2", agent_type="claude-code", workspaces=cwd(elsewhere))
    assert first.project_name == "repo-a"
    assert second.project_id == SENTINEL_PROJECT_ID


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("relative/path", "absolute"),
        ("/definitely/not/here", "does not exist"),
        ("FILE", "is a file"),
        ("/" + "x" * 10_000, "at most 4096"),
    ],
)
def test_a_bad_workspace_argument_is_refused_naming_the_field(
    app: AppContext, home: Path, db: Database, raw: str, rule: str
) -> None:
    a_file = home / "file.txt"
    a_file.write_text("x")
    raw = str(a_file) if raw == "FILE" else raw
    before = row_counts(db.engine)
    with pytest.raises(InvalidInput) as info:
        app.sessions.new("c1", workspaces=(WorkspaceHint(raw, WorkspaceSource.ARGUMENT),))
    assert info.value.field == "workspace" and rule in info.value.message
    assert row_counts(db.engine) == before


def test_a_root_claimed_by_another_project_is_a_conflict_and_changes_nothing(
    app: AppContext, home: Path, db: Database
) -> None:
    folder = home / "shared"
    folder.mkdir()
    app.projects.create("first", roots=[str(folder)])
    before = row_counts(db.engine)
    with pytest.raises(Conflict) as info:
        app.projects.create("second", roots=[str(folder)])
    assert info.value.field == "roots[0]" and "'first'" in info.value.message
    assert row_counts(db.engine) == before
    app.projects.create("third", repos=["github.com/a/b"])
    with pytest.raises(Conflict) as clash:
        app.workspaces.update("first", add_repos=["git@github.com:a/b.git"], remove_roots=[str(folder)])
    assert clash.value.field == "repos[0]" and "'third'" in clash.value.message
    assert {w.identity for w in app.workspaces.list("first")} == {str(folder)}  # the removal rolled back


@pytest.mark.parametrize(
    ("roots", "repos", "field"),
    [
        (["relative"], [], "roots[0]"),
        ([], ["not a remote"], "repos[0]"),
        ([], ["/local/path.git"], "repos[0]"),
    ],
)
def test_bad_identities_are_refused_before_anything_is_written(
    app: AppContext, home: Path, db: Database, roots: list[str], repos: list[str], field: str
) -> None:
    before = row_counts(db.engine)
    with pytest.raises(InvalidInput) as info:
        app.projects.create("p", roots=roots, repos=repos)
    assert info.value.field == field
    assert row_counts(db.engine) == before


def test_the_database_refuses_one_identity_for_two_projects(
    app: AppContext, db: Database, clock: FakeClock
) -> None:
    a = app.projects.create("a")
    b = app.projects.create("b")
    row = {"kind": "repo", "identity": "github.com/x/y", "created_at": clock.now}
    with db.engine.begin() as conn:
        conn.execute(insert(project_workspaces).values(project_id=a.id, **row))
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(insert(project_workspaces).values(project_id=b.id, **row))


def test_update_adds_and_removes_identities(app: AppContext, home: Path) -> None:
    folder = home / "svc"
    folder.mkdir()
    app.projects.create("svc")
    _, held = app.workspaces.update(
        "svc", add_roots=[str(folder)], add_repos=["https://gitlab.com/o/svc.git"]
    )
    assert {w.identity for w in held} == {str(folder), "gitlab.com/o/svc"}
    _, held = app.workspaces.update("svc", remove_repos=["gitlab.com/o/svc"])
    assert [w.identity for w in held] == [str(folder)]
    with pytest.raises(InvalidInput) as info:
        app.workspaces.update("svc", remove_roots=["/not/held"])
    assert info.value.field == "remove_roots[0]"
