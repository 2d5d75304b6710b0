"""Storing memory: every context lands in a project, is counted on the caller's session, and is
never stored twice.

Invariants: secrets are removed before anything is written; the same text (whitespace aside) and
type stored again in the same project within the duplicate window returns the existing context
and counts a sighting instead of inserting; a `key` makes a store an upsert within the project (the
newer text becomes the next revision, the older one is kept). The context, its event and the
session's counters are written in one transaction, so counters equal rows.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine

from aidis.enums import AuditKind, ContextType, EventType, Role, WorkspaceSource
from aidis.records import Context, Session
from aidis.repositories import contexts as repo
from aidis.services.base import Clock, ServiceBase
from aidis.services.caller import Caller, WorkspaceHint, estimate_tokens
from aidis.services.principal import connection_prefix, current_principal, require
from aidis.services.projects.catalog import find_project
from aidis.services.sessions.lifecycle import SessionService
from aidis.services.text.rules import check_content, clean_key, clean_tags, content_hash

DEFAULT_DUPLICATE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class StoredContext:
    """What a store did: `stored` (new), `duplicate` (an existing one seen again) or `updated` (by key)."""

    context: Context
    session: Session
    redactions: dict[str, int] = field(default_factory=dict)
    outcome: str = "stored"


class ContextService(ServiceBase):
    """Store contexts, always in a project and counted on the caller's session."""

    def store_by_hand(
        self,
        surface: str,
        content: str,
        *,
        workspace: str | None = None,
        context_type: ContextType = ContextType.NOTE,
        tags: Sequence[str] = (),
        project: str | None = None,
        key: str | None = None,
    ) -> StoredContext:
        """Store a note a person gives without an MCP client (`aidis contexts add`, `POST /api/v1/contexts`)
        by the tool's rules — redaction, dedupe, topic keys, the project named or else the one `workspace`
        (a folder) belongs to, else Unassigned. It is counted on a notes session of the person's for
        `surface` (`cli` or `api`) and that target (so one note's project never decides the next one's),
        which the idle reaper ends like any other."""
        principal = current_principal()
        hints = (WorkspaceHint(workspace, WorkspaceSource.ARGUMENT),) if workspace else ()
        target = hashlib.sha256(f"{project or ''}\x00{workspace or ''}".encode()).hexdigest()[:12]
        caller = Caller(
            f"{connection_prefix(principal)}notes:{surface}:{target}",
            agent_type=surface,
            transport=surface,
            workspaces=hints,
            principal=principal,
        )
        return self.store(caller, content, context_type=context_type, tags=tags, project=project, key=key)

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        sessions: SessionService,
        *,
        duplicate_window: timedelta = DEFAULT_DUPLICATE_WINDOW,
    ) -> None:
        super().__init__(engine, clock, sessions.telemetry)
        self.sessions = sessions
        self.duplicate_window = duplicate_window

    def store(
        self,
        caller: Caller,
        content: str,
        *,
        context_type: ContextType = ContextType.NOTE,
        tags: Sequence[str] = (),
        project: str | None = None,
        key: str | None = None,
        input_chars: int | None = None,
    ) -> StoredContext:
        """Store a context on the caller's session (started lazily) and the session's project.

        Naming a real project from an Unassigned session assigns that session to it (once). A
        duplicate returns the existing context; a `key` already held in the project revises it.
        """
        check_content(content)
        found: Counter[str] = Counter()
        redactor = self.sessions.redactor
        content = redactor.clean(content, "content", found)  # before anything is written
        cleaned_tags = clean_tags([redactor.clean(t, f"tags[{i}]", found) for i, t in enumerate(tags)])
        topic_key = clean_key(key)
        if topic_key is not None:
            topic_key = redactor.clean(topic_key, "key", found)
        digest = content_hash(content)
        now = self.clock()
        with self.telemetry.tracer.start_as_current_span("aidis.context.store"), self.unit_of_work() as conn:
            target = find_project(conn, project) if project is not None else None
            session = self.sessions.ensure_caller_in(conn, caller, now=now, use_workspaces=target is None)
            if target is not None:
                session = self.sessions.attribute_work_in(conn, session, target, now=now)
            project_id = target.id if target is not None else session.project_id
            require(
                project_id, Role.WRITE, target.name if target is not None else session.project_display_name
            )
            metadata = {"redactions": dict(found)} if found else {}
            existing, outcome = self._existing(conn, project_id, topic_key, context_type, digest, now)
            if existing is None:
                outcome = "stored"
            if existing is not None and outcome == "updated":
                same = (existing.content_hash, existing.context_type, existing.tags)
                if same == (digest, context_type.value, cleaned_tags):
                    outcome = "duplicate"
                else:
                    repo.revise(
                        conn,
                        existing,
                        context_type=context_type.value,
                        content=content,
                        tags=cleaned_tags,
                        content_hash=digest,
                        metadata=metadata,
                        now=now,
                    )
            if existing is not None and outcome == "duplicate":
                repo.mark_seen(conn, existing.id, now=now)
            context_id = existing.id if existing is not None else uuid.uuid4()
            if existing is None:
                repo.insert_context(
                    conn,
                    context_id=context_id,
                    project_id=project_id,
                    session_id=session.id,
                    context_type=context_type.value,
                    content=content,
                    tags=cleaned_tags,
                    now=now,
                    metadata=metadata,
                    content_hash=digest,
                    topic_key=topic_key,
                )
            event = {
                "stored": EventType.CONTEXT_STORED,
                "duplicate": EventType.CONTEXT_SEEN,
                "updated": EventType.CONTEXT_UPDATED,
            }[outcome]
            if outcome != "duplicate":
                self.changed(conn, project_id)
                self.texts_written(conn, [context_id])
            self.audited(conn, AuditKind.CHANGE, project_id, [context_id])
            session = self.sessions.record_call_in(
                conn,
                session,
                tool="context_store",
                now=now,
                event_type=event,
                context_id=context_id,
                contexts=1 if outcome == "stored" else 0,
                input_tokens=estimate_tokens(input_chars if input_chars is not None else len(content)),
                output_tokens=estimate_tokens(120),
                payload={"context_type": context_type.value, "project_id": str(project_id)},
            )
            if existing is None:  # what was just inserted, without reading it back
                stored: Context | None = Context(
                    id=context_id,
                    project_id=project_id,
                    project_name=target.name if target is not None else session.project_name,
                    session_id=session.id,
                    context_type=context_type.value,
                    content=content,
                    tags=cleaned_tags,
                    created_at=now,
                    metadata=metadata,
                    topic_key=topic_key,
                    last_seen_at=now,
                    content_hash=digest,
                )
            else:
                stored = repo.get_context(conn, context_id)
            assert stored is not None
            return StoredContext(stored, session, dict(found), outcome)

    def _existing(
        self,
        conn: Connection,
        project_id: uuid.UUID,
        topic_key: str | None,
        context_type: ContextType,
        digest: str,
        now: datetime,
    ) -> tuple[Context | None, str]:
        """The context this store lands on, if any, and what happens to it (`updated`/`duplicate`)."""
        if topic_key is not None:
            return repo.find_by_key(conn, project_id, topic_key), "updated"
        duplicate = repo.find_duplicate(
            conn,
            project_id=project_id,
            context_type=context_type.value,
            content_hash=digest,
            since=now - self.duplicate_window,
        )
        return duplicate, "duplicate"
