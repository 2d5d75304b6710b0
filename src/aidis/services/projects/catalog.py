"""Projects: create, find, rename, archive, delete — with the sentinel protected."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from aidis.enums import (
    SENTINEL_DISPLAY_NAME,
    SENTINEL_PROJECT_ID,
    SENTINEL_PROJECT_NAME,
    Actor,
    AuditKind,
    ChangeReason,
    EventType,
    ProjectStatus,
    Role,
)
from aidis.errors import Conflict, Forbidden, InvalidInput, NotFound
from aidis.records import Project
from aidis.repositories import changes as changes_repo
from aidis.repositories import events as events_repo
from aidis.repositories import projects as repo
from aidis.repositories import sessions as sessions_repo
from aidis.repositories import team as grants_repo
from aidis.services.base import ServiceBase
from aidis.services.principal import (
    acting_as,
    current_principal,
    current_request,
    own_sessions_only,
    readable_filter,
    require,
    require_recording,
)
from aidis.services.projects.creation import clean_name, create_project_in, refuse_taken
from aidis.services.projects.identities import add_identities_in, parse_identities


@dataclass(frozen=True, slots=True)
class ProjectSummary:
    """A project with how many sessions it holds."""

    project: Project
    session_count: int


def find_project(conn: Connection, ref: str, field: str = "project") -> Project:
    """Resolve a project by id, exact name, case-insensitive name, or 'Unassigned'.

    Raises NotFound listing the closest names when nothing matches — and the same, naming only
    projects it may read, when the current request may not read the one it named.
    """
    text = ref.strip()
    if not text:
        raise InvalidInput("project must not be empty", field=field)
    if text.lower() in (SENTINEL_PROJECT_NAME, SENTINEL_DISPLAY_NAME.lower()):
        sentinel = repo.get_by_id(conn, SENTINEL_PROJECT_ID)
        assert sentinel is not None, "the sentinel project is missing: run `aidis db upgrade`"
        return sentinel
    try:
        as_id = uuid.UUID(text)
    except ValueError:
        as_id = None
    found = (
        (repo.get_by_id(conn, as_id) if as_id else None)
        or repo.get_by_name(conn, text)
        or repo.get_by_name_folded(conn, text)
    )
    principal = current_principal()
    if found is not None and (principal is None or principal.may(found.id, Role.READ)):
        return found
    names = [n for n in repo.all_names(conn) if n != SENTINEL_PROJECT_NAME]
    if principal is not None and not principal.is_admin:  # a project one may not read is not there
        readable = principal.projects(Role.READ)
        names = [p.name for p in repo.list_projects(conn) if p.id in readable]
    import difflib  # only on the not-found path, which is rare

    close = difflib.get_close_matches(text, names, n=5, cutoff=0.5)
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    raise NotFound(f"no project named {text!r}{hint}", field=field, hints=close)


class ProjectService(ServiceBase):
    """Create, find and change projects."""

    def create(
        self,
        name: str,
        *,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        actor: Actor = Actor.USER,
        roots: Sequence[str] = (),
        repos: Sequence[str] = (),
    ) -> Project:
        """Create a project, with its workspace roots and repos; a duplicate name (ignoring case), or an
        identity another project holds, is a Conflict and nothing is created."""
        identities = parse_identities(roots, repos)
        now = self.clock()
        creator = current_principal()
        asked = current_request()
        if creator is not None and not creator.may_create:
            require_recording(field="name")
            raise Forbidden(
                "this token acts only in the projects it names: creating a project needs an unlimited token",
                field="name",
            )
        # A new project is nobody's yet: it is made as the server itself (row security would refuse a
        # project no grant names), and its creator becomes its admin in the same transaction.
        with acting_as(None), self.unit_of_work() as conn:
            project = create_project_in(
                conn, name, now=now, description=description, metadata=metadata, actor=actor, viewer=creator
            )
            add_identities_in(conn, project, identities, now, viewer=creator)
            if creator is not None and not creator.is_admin:
                grants_repo.set_grant(
                    conn,
                    project_id=project.id,
                    user_id=creator.user_id,
                    group_name=None,
                    role="admin",
                    now=now,
                )
            if asked is not None:  # on the trail as its creator's change, though made as the server
                with acting_as(asked.principal, asked.action):
                    self.audited(conn, AuditKind.CHANGE, project.id, [project.id])
            return project

    def create_in(
        self,
        conn: Connection,
        name: str,
        *,
        now: datetime,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        actor: Actor = Actor.USER,
    ) -> Project:
        """Create a project inside the caller's transaction (Conflict on a name taken, ignoring case)."""
        return create_project_in(conn, name, now=now, description=description, metadata=metadata, actor=actor)

    def get(self, ref: str) -> Project:
        """A project by id or name ('Unassigned' names the sentinel)."""
        with self.reading() as conn:
            return find_project(conn, ref)

    def list(self, *, include_archived: bool = True) -> list[ProjectSummary]:
        """Every project with its session count, by name."""
        with self.reading() as conn:
            projects = _readable(repo.list_projects(conn, include_archived=include_archived))
            counts = repo.session_counts(conn, readable_filter(None), unassigned_owner=own_sessions_only())
        return [ProjectSummary(p, counts.get(p.id, 0)) for p in projects]

    def choices(self, *, include_archived: bool = False) -> builtins.list[Project]:
        """Projects by name, without counting their sessions (for pickers)."""
        with self.reading() as conn:
            return _readable(repo.list_projects(conn, include_archived=include_archived))

    def rename(self, ref: str, new_name: str, *, actor: Actor = Actor.USER) -> Project:
        """Rename a project; the sentinel cannot be renamed."""
        cleaned = clean_name(new_name, field="new_name")
        now = self.clock()
        viewer = current_principal()
        with self.reading() as conn:
            project = find_project(conn, ref)
            _refuse_sentinel(project, "renamed")
            require(project.id, Role.ADMIN, project.name)
        with acting_as(None), self.reading() as every:  # names are one namespace: see every holder
            refuse_taken(every, cleaned, field="new_name", viewer=viewer, exclude=project.id)
        with self.unit_of_work() as conn:
            project = find_project(conn, ref)
            require(project.id, Role.ADMIN, project.name)
            try:
                with conn.begin_nested():
                    repo.update_project(conn, project.id, now, name=cleaned)
            except IntegrityError as exc:
                raise Conflict(
                    f"the project name {cleaned!r} is not available; choose another", field="new_name"
                ) from exc
            self.changed(conn, project.id)
            self.audited(conn, AuditKind.CHANGE, project.id, [project.id])
            events_repo.insert_project_event(
                conn,
                project_id=project.id,
                event_type=EventType.PROJECT_RENAMED,
                actor=actor,
                occurred_at=now,
                payload={"from": project.name, "to": cleaned},
            )
            renamed = repo.get_by_id(conn, project.id)
            assert renamed is not None
            return renamed

    def set_recall(self, ref: str, *, enabled: bool) -> Project:
        """Turn prompt-time recall on or off for one project (its metadata's `recall`; admins only)."""
        now = self.clock()
        with self.unit_of_work() as conn:
            project = find_project(conn, ref)
            _refuse_sentinel(project, "given a recall setting")
            require(project.id, Role.ADMIN, project.name)
            metadata = {**project.metadata, "recall": "on" if enabled else "off"}
            repo.update_project(conn, project.id, now, metadata=metadata)
            self.changed(conn, project.id)
            self.audited(conn, AuditKind.CHANGE, project.id, [project.id])
            updated = repo.get_by_id(conn, project.id)
            assert updated is not None
            return updated

    def archive(self, ref: str, *, actor: Actor = Actor.USER) -> Project:
        """Mark a project archived (it keeps its history; new sessions cannot start in it)."""
        now = self.clock()
        with self.unit_of_work() as conn:
            project = find_project(conn, ref)
            _refuse_sentinel(project, "archived")
            require(project.id, Role.ADMIN, project.name)
            repo.update_project(conn, project.id, now, status=ProjectStatus.ARCHIVED.value)
            self.changed(conn, project.id)
            self.audited(conn, AuditKind.CHANGE, project.id, [project.id])
            events_repo.insert_project_event(
                conn,
                project_id=project.id,
                event_type=EventType.PROJECT_ARCHIVED,
                actor=actor,
                occurred_at=now,
            )
            archived = repo.get_by_id(conn, project.id)
            assert archived is not None
            return archived

    def delete(
        self, ref: str, *, move_to_unassigned: bool = False, actor: Actor = Actor.USER
    ) -> dict[str, int]:
        """Delete a project.

        A project that still has sessions, contexts or events is refused unless
        `move_to_unassigned` is set; then its sessions move to the sentinel (each move recorded
        in session_project_changes) along with its contexts and events, all in one transaction.
        Returns how many rows moved.
        """
        now = self.clock()
        with self.unit_of_work() as conn:
            project = find_project(conn, ref)
            _refuse_sentinel(project, "deleted")
            require(project.id, Role.ADMIN, project.name)
            counts = repo.dependent_counts(conn, project.id)
            if any(counts.values()) and not move_to_unassigned:
                raise Conflict(
                    f"project {project.name!r} still has {counts['sessions']} sessions, {counts['contexts']} "
                    f"contexts and {counts['events']} events; archive it, or delete with move_to_unassigned "
                    "to move them to Unassigned",
                    field="project",
                )
            session_ids = sessions_repo.ids_in_project(conn, project.id)
            self.changed(conn, project.id)
            self.changed(conn, workspaces=True)
            self.audited(conn, AuditKind.CHANGE, project.id, [project.id], count=len(session_ids))
            changes_repo.record_changes(
                conn,
                [(sid, project.id) for sid in session_ids],
                to_project_id=SENTINEL_PROJECT_ID,
                changed_at=now,
                reason=ChangeReason.PROJECT_DELETED,
                actor=actor,
                details={"deleted_project_name": project.name},
            )
            sessions_repo.set_project_many(conn, session_ids, SENTINEL_PROJECT_ID, now=now)
            moved_contexts, moved_events = repo.move_contexts_and_events(
                conn, project.id, SENTINEL_PROJECT_ID
            )
            repo.delete_project(conn, project.id)
            events_repo.insert_project_event(
                conn,
                project_id=SENTINEL_PROJECT_ID,
                event_type=EventType.PROJECT_DELETED,
                actor=actor,
                occurred_at=now,
                payload={
                    "project_id": str(project.id),
                    "name": project.name,
                    "sessions_moved": len(session_ids),
                },
            )
        return {"sessions": len(session_ids), "contexts": moved_contexts, "events": moved_events}


def _readable(projects: builtins.list[Project]) -> builtins.list[Project]:
    """The projects the current request may read (Unassigned always: everyone has their own part)."""
    principal = current_principal()
    if principal is None:
        return projects
    return [p for p in projects if principal.may(p.id, Role.READ)]


def _refuse_sentinel(project: Project, verb: str) -> None:
    if project.is_sentinel:
        raise Forbidden(f"the {SENTINEL_DISPLAY_NAME} project cannot be {verb}", field="project")
