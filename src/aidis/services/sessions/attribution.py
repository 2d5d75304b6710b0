"""Which project a new session starts in, from the workspace its agent reports (see workspaces.py for
the rules), and what to tell an agent whose session is Unassigned.

Invariant: attribution happens only when a session starts and only when no project was named;
an ambiguous workspace stops the search (never a guess from weaker evidence); a session that
could not be tied to its agent's hook session is linked to it in metadata, never merged into it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection

from aidis.enums import Role, WorkspaceSource
from aidis.records import Session
from aidis.repositories import sessions as repo
from aidis.services.base import ServiceBase
from aidis.services.caller import Caller, WorkspaceHint
from aidis.services.principal import Principal, current_principal
from aidis.services.projects.resolver import Attribution, WorkspaceResolver, describe, usable
from aidis.services.sessions.joining import agent_prefixes
from aidis.services.text.redaction import Redactor

# A folder looked at before its transaction is looked at again after this long (under the probe's 30 s).
PREPARED_SECONDS = 20.0


class SessionAttribution(ServiceBase):
    """Workspace evidence → the project of a new session."""

    resolver: WorkspaceResolver = WorkspaceResolver()  # build_app sets the configured one
    redactor: Redactor = Redactor()  # likewise (AIDIS_REDACTION)

    def prepare_workspaces(self, hints: tuple[WorkspaceHint, ...]) -> None:
        """Look at the caller's folders before any transaction opens (see `WorkspaceResolver.prepare`);
        a folder looked at within the probe's lifetime is not looked at again."""
        now = time.monotonic()
        prepared: dict[str, float] = self.__dict__.setdefault("_prepared_workspaces", {})
        for hint in hints:
            seen = prepared.get(hint.path)
            if seen is not None and now - seen < PREPARED_SECONDS:
                continue
            self.resolver.prepare(hint.path)
            if len(prepared) >= 1024:
                prepared.clear()
            prepared[hint.path] = now

    def _link_agent_session(
        self, conn: Connection, session: Session, attribution: Attribution, connection_id: str | None
    ) -> Session:
        """An MCP connection that could not be tied to its agent's hook session (HTTP, or a /clear the
        hooks could not link) starts its own session; note the agent session open in the same folder."""
        assert attribution.project is not None
        others = repo.open_by_prefixes_in_project(
            conn, agent_prefixes(), attribution.project.id, exclude_connection=connection_id
        )
        for other in others:
            recorded = other.metadata.get("workspace")
            if isinstance(recorded, dict) and recorded.get("path") == attribution.path:
                repo.set_metadata(
                    conn, session.id, {**session.metadata, "linked_agent_session": other.display_id}
                )
                linked = repo.get_session(conn, session.id)
                assert linked is not None
                return linked
        return session

    def _attribute(
        self, conn: Connection, workspaces: Sequence[WorkspaceHint], now: datetime
    ) -> Attribution | None:
        """The first workspace that names a project or is ambiguous (ambiguity is never guessed past)."""
        last: Attribution | None = None
        principal = current_principal()
        create = principal is None or principal.is_admin  # on a team server, projects are made on purpose
        for hint in workspaces:
            found = self.resolver.resolve_in(conn, hint, now, create=create)
            if found is None:
                continue
            if usable(found.project) or found.matched == "ambiguous":
                return found
            last = last or found
        return last

    def attribution_hint(self, caller: Caller, session: Session | None) -> str | None:
        """Where the caller's project comes from, or what to call to choose one (read only).

        None when the session's project was named explicitly or came from the connection.
        """
        if session is not None and not session.is_unassigned:
            return None
        with self.reading() as conn:
            return self.hint_in(conn, caller, session)

    def hint_in(self, conn: Connection, caller: Caller, session: Session | None) -> str | None:
        """`attribution_hint` in the caller's read (`session` has no project, or there is none)."""
        recorded = session.metadata.get("workspace") if session is not None else None
        if isinstance(recorded, dict) and recorded.get("matched") == "ambiguous":
            hint = WorkspaceHint(str(recorded.get("path")), WorkspaceSource(str(recorded.get("source"))))
            ids = [uuid.UUID(c) for c in recorded.get("candidates", [])]
            return describe(conn, Attribution(hint, hint.path, "ambiguous", candidates=ids))
        for hint in caller.workspaces:
            found = self.resolver.resolve_in(conn, hint, self.clock(), create=False)
            if found is not None:
                return describe(conn, found)
        if session is not None:
            return "Unassigned: call session_assign with a project (or session_new with workspace)"
        return None


def writable_for(attribution: Attribution | None, principal: Principal | None) -> Attribution | None:
    """A workspace's attribution, unless its project is one the person may not file sessions in
    (then Unassigned, suggesting the project only if they may read it)."""
    filed = attribution.project if attribution is not None else None
    if attribution is None or filed is None or principal is None or principal.may(filed.id, Role.WRITE):
        return attribution
    return attribution.not_writable(readable=principal.may(filed.id, Role.READ))
