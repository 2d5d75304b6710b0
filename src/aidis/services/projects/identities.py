"""Workspace identities as input: validated before anything is written, and given to a project
inside the caller's transaction.

Invariants: an identity belongs to at most one project (the database's unique constraint, and a
Conflict here that names the holder to whoever may read it, and to nobody else); a relative, missing or file path, an over-long path or a
string that is no git remote is refused naming its field (e.g. `roots[1]`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from aidis.enums import Role, WorkspaceKind
from aidis.errors import Conflict, Forbidden, InvalidInput
from aidis.records import Project
from aidis.repositories import projects as projects_repo
from aidis.repositories import workspaces as repo
from aidis.services.principal import Principal, current_principal
from aidis.services.projects.probe import normalize_remote
from aidis.services.projects.resolver import MAX_PATH, check_directory

MAX_IDENTITIES = 50


@dataclass(frozen=True, slots=True)
class Identity:
    """One validated identity and the input field it came from."""

    kind: WorkspaceKind
    value: str
    field: str


def repo_identity(raw: str, field: str) -> str:
    """A remote URL (`git@…`, `https://…`, `ssh://…`) or an identity (`github.com/acme/widgets`), normalized."""
    text = raw.strip()
    if len(text) > MAX_PATH:
        raise InvalidInput(f"{field} must be at most {MAX_PATH} characters", field=field)
    found = normalize_remote(text)
    if found is None and "://" not in text and ":" not in text and text.count("/") >= 2:
        found = normalize_remote(f"https://{text}")
    if found is None:
        raise InvalidInput(
            f"{field} {raw!r} is not a git remote (e.g. git@github.com:acme/widgets.git or github.com/acme/widgets)",
            field=field,
        )
    return found


def parse_identities(roots: Sequence[str], repos: Sequence[str], prefix: str = "") -> list[Identity]:
    """Validate roots (existing absolute directories) and repos (remotes) before any write."""
    if len(roots) + len(repos) > MAX_IDENTITIES:
        raise InvalidInput(
            f"give at most {MAX_IDENTITIES} roots and repos in one call", field=f"{prefix}roots"
        )
    out = [
        Identity(WorkspaceKind.ROOT, str(check_directory(r, f"{prefix}roots[{i}]")), f"{prefix}roots[{i}]")
        for i, r in enumerate(roots)
    ]
    out += [
        Identity(WorkspaceKind.REPO, repo_identity(r, f"{prefix}repos[{i}]"), f"{prefix}repos[{i}]")
        for i, r in enumerate(repos)
    ]
    return out


def add_identities_in(
    conn: Connection,
    project: Project,
    identities: Sequence[Identity],
    now: datetime,
    *,
    viewer: Principal | Literal["current"] | None = "current",
) -> None:
    """Give `project` these identities; Conflict if another project has one — naming the holder only to a
    `viewer` (the current request's person by default) who may read it: to anyone else a folder or
    remote held by a hidden project is "not available", never confirmed or named."""
    if project.is_sentinel and identities:
        raise Forbidden("Unassigned cannot hold workspaces", field=identities[0].field)
    asking = current_principal() if viewer == "current" else viewer
    for item in identities:
        held = repo.owners(conn, item.kind, [item.value]).get(item.value)
        if held == project.id:
            continue
        if held is not None:
            if asking is not None and not asking.may(held, Role.READ):
                raise Conflict(
                    f"{item.kind.value} {item.value} is not available: it cannot be given to {project.name!r}",
                    field=item.field,
                )
            holder = projects_repo.get_by_id(conn, held)
            name = holder.name if holder else str(held)
            raise Conflict(
                f"{item.kind.value} {item.value} already belongs to project {name!r}", field=item.field
            )
        try:
            with conn.begin_nested():
                repo.add(conn, project.id, item.kind, item.value, now)
        except IntegrityError as exc:  # held by a project this transaction cannot see (row security)
            raise Conflict(
                f"{item.kind.value} {item.value} is not available: it cannot be given to {project.name!r}",
                field=item.field,
            ) from exc
