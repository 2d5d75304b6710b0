"""Giving projects their workspace identities (root directories, repository identities) and taking
them away: every change of a call is one transaction, all or nothing (the rules for identities
themselves are in `workspace_identities`).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from aidis.enums import Role, WorkspaceKind
from aidis.errors import InvalidInput
from aidis.records import Project, Workspace
from aidis.repositories import workspaces as repo
from aidis.services.base import ServiceBase
from aidis.services.principal import require
from aidis.services.projects.catalog import find_project
from aidis.services.projects.identities import Identity, add_identities_in, parse_identities, repo_identity


class ProjectWorkspaceService(ServiceBase):
    """List, add and remove a project's workspace identities."""

    def list(self, ref: str) -> list[Workspace]:
        """Every identity the project holds."""
        with self.reading() as conn:
            return repo.for_project(conn, find_project(conn, ref).id)

    def update(
        self,
        ref: str,
        *,
        add_roots: Sequence[str] = (),
        add_repos: Sequence[str] = (),
        remove_roots: Sequence[str] = (),
        remove_repos: Sequence[str] = (),
    ) -> tuple[Project, builtins.list[Workspace]]:
        """Add and remove identities in one transaction; returns the project and what it holds now."""
        adding = parse_identities(add_roots, add_repos)
        removing = [
            Identity(WorkspaceKind.ROOT, r.strip().rstrip("/") or "/", f"remove_roots[{i}]")
            for i, r in enumerate(remove_roots)
        ] + [
            Identity(WorkspaceKind.REPO, repo_identity(r, f"remove_repos[{i}]"), f"remove_repos[{i}]")
            for i, r in enumerate(remove_repos)
        ]
        now = self.clock()
        with self.unit_of_work() as conn:
            project = find_project(conn, ref)
            require(project.id, Role.ADMIN, project.name)
            self.changed(conn, workspaces=True)
            for item in removing:
                if not repo.remove(conn, project.id, item.kind, item.value):
                    raise InvalidInput(
                        f"project {project.name!r} holds no {item.kind.value} {item.value}", field=item.field
                    )
            add_identities_in(conn, project, adding, now)
            return project, repo.for_project(conn, project.id)
