"""Unassigned triage: what each Unassigned session's own evidence suggests, and one-click answers.

Invariants: a suggestion is only ever read from what was recorded when the session started (its
workspace and candidate projects) — never guessed later; accepting one is an explicit assignment by
a person (reason `explicit_assign`, actor `user`), recorded like any other; claiming a folder
creates the project, gives it the folder as a root and moves the session, in one transaction, so
later sessions there land in it by themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aidis.enums import Actor, ChangeReason, Role
from aidis.errors import InvalidInput
from aidis.records import Project, Session
from aidis.repositories import projects as projects_repo
from aidis.services.base import ServiceBase
from aidis.services.principal import current_principal
from aidis.services.projects.catalog import ProjectService
from aidis.services.sessions.lifecycle import SessionService
from aidis.services.sessions.lookup import find_session


@dataclass(frozen=True, slots=True)
class Suggestion:
    """What triage offers for one Unassigned session."""

    candidates: list[Project]  # accept one with a click
    folder: str | None  # an unknown plain folder: offer "create project <name> with this root"
    folder_name: str | None


class TriageService(ServiceBase):
    """Suggestions for Unassigned sessions and the one-click actions on them."""

    def __init__(self, sessions: SessionService, projects: ProjectService) -> None:
        super().__init__(sessions.engine, sessions.clock, sessions.telemetry)
        self.sessions = sessions
        self.projects = projects

    def suggestions(self, sessions: Sequence[Session]) -> dict[uuid.UUID, Suggestion]:
        """For each Unassigned session with recorded workspace evidence, what to offer."""
        out: dict[uuid.UUID, Suggestion] = {}
        with self.reading() as conn:
            for session in sessions:
                recorded = session.metadata.get("workspace")
                if not session.is_unassigned or not isinstance(recorded, dict):
                    continue
                ids = [uuid.UUID(c) for c in recorded.get("candidates", []) if isinstance(c, str)]
                found = [
                    p
                    for c in ids
                    if (p := projects_repo.get_by_id(conn, c)) is not None
                    and not p.is_sentinel
                    and readable(p.id)
                ]
                folder = str(recorded.get("path")) if recorded.get("matched") == "unknown" else None
                if found or folder:
                    out[session.id] = Suggestion(found, folder, Path(folder).name if folder else None)
        return out

    def accept(self, refs: Sequence[str]) -> list[Session]:
        """Assign each session to its only suggested project (all or nothing); sessions with none or
        several candidates are refused by field."""
        now = self.clock()
        with self.unit_of_work() as conn:
            moved = []
            for i, ref in enumerate(refs):
                session = find_session(conn, ref, field=f"session_ids[{i}]")
                recorded = session.metadata.get("workspace")
                ids = recorded.get("candidates", []) if isinstance(recorded, dict) else []
                if not session.is_unassigned or len(ids) != 1:
                    raise InvalidInput(
                        f"session {session.display_id} has no single suggested project; assign it by hand",
                        field=f"session_ids[{i}]",
                    )
                target = projects_repo.get_by_id(conn, uuid.UUID(ids[0]))
                if target is None:
                    raise InvalidInput(
                        f"the project suggested for {session.display_id} no longer exists",
                        field=f"session_ids[{i}]",
                    )
                moved.append(
                    self.sessions.assign_in(
                        conn, session, target, reason=ChangeReason.EXPLICIT_ASSIGN, actor=Actor.USER, now=now
                    )
                )
            return moved

    def claim_folder(self, session_ref: str, name: str | None = None) -> tuple[Project, Session]:
        """Create a project owning the session's recorded folder, and move the session into it."""
        with self.reading() as conn:
            session = find_session(conn, session_ref, field="session_id")
        recorded = session.metadata.get("workspace")
        if not isinstance(recorded, dict) or recorded.get("matched") != "unknown":
            raise InvalidInput(
                f"session {session.display_id} recorded no unclaimed folder", field="session_id"
            )
        folder = str(recorded["path"])
        project = self.projects.create(name or Path(folder).name, roots=[folder], actor=Actor.USER)
        now = self.clock()
        with self.unit_of_work() as conn:
            current = find_session(conn, session.id, field="session_id")
            moved = self.sessions.assign_in(
                conn, current, project, reason=ChangeReason.EXPLICIT_ASSIGN, actor=Actor.USER, now=now
            )
        return project, moved


def readable(project_id: uuid.UUID) -> bool:
    """Whether the current request may read a project (a suggestion never names one it may not)."""
    principal = current_principal()
    return principal is None or principal.may(project_id, Role.READ)
