"""Which project a workspace belongs to — the one place that decides it, for every surface.

Invariants: a path resolves to the nearest registered root above it, else to its repository (the
main worktree's top level, so every worktree and subdirectory of one repository is one project),
else to the repository's `origin` identity; a repository seen for the first time becomes a project
(when automatic projects are on) holding both identities. Ambiguity is never guessed: the home
directory, `/`, or a folder holding several repositories resolve to no project, with the projects
they might mean recorded as candidates. A plain folder outside any repository never creates a
project. Everything here runs inside the caller's transaction.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from aidis.enums import SENTINEL_PROJECT_ID, Actor, ProjectStatus, WorkspaceKind, WorkspaceSource
from aidis.errors import Conflict, InvalidInput
from aidis.records import Project
from aidis.repositories import projects as projects_repo
from aidis.repositories import workspaces as repo
from aidis.services.caller import WorkspaceHint
from aidis.services.projects.creation import create_project_in
from aidis.services.projects.probe import PathFacts, child_repositories, probe, repo_name
from aidis.textrules import refuse_nul

log = logging.getLogger("aidis.workspaces")

MAX_PATH = 4096
MAX_NAME = 200


def check_directory(raw: str, field: str = "workspace") -> Path:
    """An absolute, existing directory (symlinks resolved); InvalidInput naming `field` otherwise."""
    if len(raw) > MAX_PATH:
        raise InvalidInput(f"{field} must be at most {MAX_PATH} characters", field=field)
    refuse_nul(raw, field)
    path = Path(raw)
    if not path.is_absolute():
        raise InvalidInput(f"{field} must be an absolute path, not {raw!r}", field=field)
    if not path.exists():
        raise InvalidInput(f"{field} {raw!r} does not exist", field=field)
    if not path.is_dir():
        raise InvalidInput(f"{field} {raw!r} is a file, not a directory", field=field)
    return path.resolve()


@dataclass(frozen=True, slots=True)
class Attribution:
    """What a workspace resolved to, with the evidence to record."""

    hint: WorkspaceHint
    path: str
    matched: str  # root | repo_root | repo | created | ambiguous | unknown
    project: Project | None = None
    identity: str | None = None
    candidates: list[uuid.UUID] = field(default_factory=list)
    proposed_name: str | None = None  # with matched="would_create": the name the project would get

    def not_writable(self, *, readable: bool) -> Attribution:
        """This attribution for a person who may not file sessions in its project: no project, and the
        project suggested only to someone who may read it (a name must not leak)."""
        candidates = [self.project.id] if readable and self.project is not None else []
        return Attribution(
            self.hint, self.path, "not_writable" if readable else "unknown", candidates=candidates
        )

    def details(self) -> dict[str, Any]:
        """The evidence as stored on the change row and the session's metadata."""
        out: dict[str, Any] = {"source": self.hint.source.value, "path": self.path, "matched": self.matched}
        if self.identity:
            out["identity"] = self.identity
        if self.candidates:
            out["candidates"] = [str(c) for c in self.candidates]
        return out


class WorkspaceResolver:
    """Resolves a workspace hint to a project inside a transaction (creating one for a new repository)."""

    def __init__(self, *, auto_projects: bool = True, home: Path | None = None) -> None:
        self.auto_projects = auto_projects
        self.home = (home or Path.home()).resolve()

    def prepare(self, raw_path: str) -> None:
        """Look at a folder now, outside any transaction: its git facts and child repositories are then
        answered from the cache inside `resolve_in` (a slow or hostile folder never holds a lock)."""
        try:
            path = check_directory(raw_path)
        except InvalidInput:
            return  # resolve_in says why, with the hint's source
        if path == self.home or path == Path(path.anchor):
            return
        if probe(path).repo_root is None:
            child_repositories(path)

    def top_level(self, raw_path: str) -> str | None:
        """The repository top level of a folder (git, cached like `prepare`), or None outside a repository."""
        try:
            path = check_directory(raw_path)
        except InvalidInput:
            return None
        root = probe(path).repo_root
        return str(root) if root is not None else None

    def resolve_in(
        self, conn: Connection, hint: WorkspaceHint, now: datetime, *, create: bool = True
    ) -> Attribution | None:
        """The attribution of `hint`, or None when the path is unusable (not an existing absolute dir).

        With `create=False` nothing is written: a repository seen for the first time is reported as
        `matched="would_create"` with the name its project would get.
        """
        try:
            path = check_directory(hint.path)
        except InvalidInput as exc:
            if hint.source == WorkspaceSource.ARGUMENT:
                raise
            log.info("ignoring workspace %r from %s: %s", hint.path, hint.source.value, exc.message)
            return None
        text = str(path)
        if path == self.home or path == Path(path.anchor):
            return Attribution(hint, text, "ambiguous", candidates=repo.roots_under(conn, text))
        ancestors = [str(p) for p in (path, *path.parents) if p != Path(p.anchor)]
        root_owner = self._nearest_root(conn, ancestors)
        if root_owner is not None:
            return Attribution(hint, text, "root", project=root_owner[1], identity=root_owner[0])
        facts = probe(path)
        if facts.repo_root is not None:  # a root among the ancestors is known to be nobody's already
            ask_root = str(facts.repo_root) not in ancestors
            return self._repository(conn, hint, facts, now, create=create, ask_root=ask_root)
        children = child_repositories(path)
        if len(children) >= 2:
            owned = repo.owners(conn, WorkspaceKind.ROOT, [str(c) for c in children])
            candidates = list(dict.fromkeys([*owned.values(), *repo.roots_under(conn, text)]))
            return Attribution(hint, text, "ambiguous", candidates=candidates)
        return Attribution(hint, text, "unknown")

    def _nearest_root(self, conn: Connection, ancestors: list[str]) -> tuple[str, Project] | None:
        owned = repo.owners(conn, WorkspaceKind.ROOT, ancestors)
        for candidate in ancestors:  # nearest first
            if candidate in owned:
                project = projects_repo.get_by_id(conn, owned[candidate])
                if project is not None:
                    return candidate, project
        return None

    def _repository(
        self,
        conn: Connection,
        hint: WorkspaceHint,
        facts: PathFacts,
        now: datetime,
        *,
        create: bool,
        ask_root: bool = True,
    ) -> Attribution:
        assert facts.repo_root is not None
        root = str(facts.repo_root)
        text = str(facts.path)
        owned_root = repo.owners(conn, WorkspaceKind.ROOT, [root]) if ask_root else {}
        if root in owned_root:
            return Attribution(
                hint,
                text,
                "repo_root",
                project=projects_repo.get_by_id(conn, owned_root[root]),
                identity=root,
            )
        if facts.remote:
            owned_repo = repo.owners(conn, WorkspaceKind.REPO, [facts.remote])
            if facts.remote in owned_repo:
                project = projects_repo.get_by_id(conn, owned_repo[facts.remote])
                return Attribution(hint, text, "repo", project=project, identity=facts.remote)
        if not self.auto_projects:
            return Attribution(hint, text, "unknown", identity=facts.remote or root)
        if not create:
            return Attribution(
                hint,
                text,
                "would_create",
                identity=facts.remote or root,
                proposed_name=project_name_for(facts),
            )
        project = self._create_for(conn, facts, now)
        return Attribution(hint, text, "created", project=project, identity=facts.remote or root)

    def _create_for(self, conn: Connection, facts: PathFacts, now: datetime) -> Project:
        """A new project for a repository seen for the first time, holding its root and remote."""
        assert facts.repo_root is not None
        root = str(facts.repo_root)
        base = project_name_for(facts)
        for attempt in range(1, 50):
            name = base if attempt == 1 else f"{base} ({attempt})"
            try:
                with conn.begin_nested():
                    project = create_project_in(
                        conn,
                        name,
                        now=now,
                        actor=Actor.SYSTEM,
                        metadata={"created_from": {"root": root, "repo": facts.remote}},
                        event_details={"from_workspace": root, "repo": facts.remote},
                    )
                    repo.add(conn, project.id, WorkspaceKind.ROOT, root, now)
                    if facts.remote:
                        repo.add(conn, project.id, WorkspaceKind.REPO, facts.remote, now)
            except Conflict:
                continue  # the name is taken: try the next suffix
            except IntegrityError:
                # another session created it at the same moment: use theirs
                owned = repo.owners(conn, WorkspaceKind.ROOT, [root])
                if root in owned:
                    found = projects_repo.get_by_id(conn, owned[root])
                    assert found is not None
                    return found
                continue
            log.info("project created for a new repository", extra={"project": project.name, "root": root})
            return project
        raise InvalidInput(f"no free project name for repository {base!r}", field="workspace")


def project_name_for(facts: PathFacts) -> str:
    """The name a new repository's project gets: the remote's owner/name, else the folder's name."""
    assert facts.repo_root is not None
    base = repo_name(facts.remote) if facts.remote else facts.repo_root.name
    return base[: MAX_NAME - 10] or "repository"


def describe(conn: Connection, attribution: Attribution) -> str:
    """One sentence for the agent: where the project came from, or what to call to choose one."""
    where = f"{attribution.hint.source.value} {attribution.path}"
    if attribution.project is not None and usable(attribution.project):
        return f"project {attribution.project.name} from the workspace ({where})"
    if attribution.matched == "would_create":
        return (
            f"project {attribution.proposed_name} (new, for repository {attribution.identity}; "
            f"created when work starts) from the workspace ({where})"
        )
    if attribution.matched == "ambiguous":
        names = [
            p.name for c in attribution.candidates if (p := projects_repo.get_by_id(conn, c)) is not None
        ]
        choice = f"one of: {', '.join(names)}" if names else "a project"
        return (
            f"Unassigned: the workspace ({where}) is ambiguous (home, / or several repositories); "
            f"call session_assign with {choice}"
        )
    return (
        f"Unassigned: the workspace ({where}) is in no repository or known root; call session_assign, "
        "or project_update with roots to claim this folder"
    )


def usable(project: Project | None) -> bool:
    """A project a new session may be filed under automatically (real and not archived)."""
    return (
        project is not None and project.id != SENTINEL_PROJECT_ID and project.status == ProjectStatus.ACTIVE
    )
