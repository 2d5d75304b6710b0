"""Merging duplicate projects (an imported `legacy-1` and a new `acme/legacy-1`).

Invariant: a merge says two projects were one all along. Every session, context, event, workspace
identity and connection of the merged project moves to the target in one transaction; each session
gets a change row (reason `merge`, with the merged project's name), and earlier history that named
the merged project names the target, so "the session's project at the time of each event" stays
true and `aidis check` stays clean. The merged project is then deleted; nothing else is lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from aidis.enums import Actor, ChangeReason, EventType
from aidis.errors import Conflict, Forbidden
from aidis.records import Project
from aidis.repositories import changes as changes_repo
from aidis.repositories import events as events_repo
from aidis.repositories import merges as repo
from aidis.repositories import projects as projects_repo
from aidis.repositories import sessions as sessions_repo
from aidis.services.base import ServiceBase
from aidis.services.principal import require_server_admin
from aidis.services.projects.catalog import find_project


@dataclass(frozen=True, slots=True)
class MergeReport:
    """What moved from the merged project into the target."""

    merged: str
    target: Project
    sessions: int
    contexts: int
    events: int
    workspaces: int


class ProjectMergeService(ServiceBase):
    """Merge one project into another."""

    def merge(self, source_ref: str, target_ref: str, *, actor: Actor = Actor.USER) -> MergeReport:
        """Move everything of `source_ref` into `target_ref`, recorded, then delete `source_ref`."""
        require_server_admin("merging projects", field="source")
        now = self.clock()
        with self.unit_of_work() as conn:
            source = find_project(conn, source_ref, field="source")
            target = find_project(conn, target_ref, field="target")
            self.changed(conn, workspaces=True)
            self.texts_written(conn, None)  # the moved contexts are embedded again under the target
            self.changed(conn, source.id)
            self.changed(conn, target.id)
            if source.is_sentinel:
                raise Forbidden("Unassigned cannot be merged; assign its sessions instead", field="source")
            if target.is_sentinel:
                raise Forbidden(
                    "nothing can be merged into Unassigned; delete the project instead", field="target"
                )
            if source.id == target.id:
                raise Conflict("a project cannot be merged into itself", field="target")
            session_ids = sessions_repo.ids_in_project(conn, source.id)
            repo.repoint_history(conn, source.id, target.id)
            changes_repo.record_changes(
                conn,
                [(sid, source.id) for sid in session_ids],
                to_project_id=target.id,
                changed_at=now,
                reason=ChangeReason.MERGE,
                actor=actor,
                details={"merged_project_name": source.name},
            )
            sessions_repo.set_project_many(conn, session_ids, target.id, now=now)
            contexts, events = projects_repo.move_contexts_and_events(conn, source.id, target.id)
            workspaces = repo.move_workspaces(conn, source.id, target.id)
            repo.repoint_connections(conn, source.id, target.id)
            projects_repo.delete_project(conn, source.id)
            events_repo.insert_project_event(
                conn,
                project_id=target.id,
                event_type=EventType.PROJECT_DELETED,
                actor=actor,
                occurred_at=now,
                payload={
                    "project_id": str(source.id),
                    "name": source.name,
                    "merged_into": target.name,
                    "sessions_moved": len(session_ids),
                },
            )
            return MergeReport(source.name, target, len(session_ids), contexts, events, workspaces)
