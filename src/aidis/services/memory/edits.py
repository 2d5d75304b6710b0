"""Correcting and forgetting memory: update, delete, restore and purge a context.

Invariants: an update keeps the previous text as a numbered revision; a delete hides a context from
search, listings and counts but keeps it restorable; a purge removes the text of the context and of
every revision for good and leaves a tombstone event saying who, when and why. An agent changes only
contexts of its own project unless it names the project. Every change is an event, and the owning
session's live-context counter moves in the same transaction, so counters equal rows.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine

from aidis.enums import Actor, AuditKind, ContextType, EventType, Role
from aidis.errors import Conflict, Forbidden, InvalidInput, NotFound
from aidis.records import Context, Session
from aidis.repositories import contexts as repo
from aidis.repositories import events as events_repo
from aidis.services.base import Clock, ServiceBase
from aidis.services.caller import Caller, estimate_tokens
from aidis.services.memory.reads import caller_project, may_read
from aidis.services.principal import require
from aidis.services.projects.catalog import find_project
from aidis.services.sessions.lifecycle import SessionService
from aidis.services.text.rules import check_content, clean_tags, content_hash

MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class EditedContext:
    """A context after a change, what the change was, and the agent's session it was counted on."""

    context: Context
    action: str  # updated | unchanged | deleted | restored | purged | already_deleted
    session: Session | None = None
    redactions: dict[str, int] = field(default_factory=dict)
    revisions_removed: int = 0


class ContextEditService(ServiceBase):
    """Change, hide, bring back or erase stored contexts, with the history to show for it."""

    def __init__(self, engine: Engine, clock: Clock, sessions: SessionService) -> None:
        super().__init__(engine, clock, sessions.telemetry)
        self.sessions = sessions

    def update(
        self,
        caller: Caller | None,
        context_id: uuid.UUID,
        *,
        content: str | None = None,
        context_type: ContextType | None = None,
        tags: Sequence[str] | None = None,
        project: str | None = None,
    ) -> EditedContext:
        """Replace a context's content, type and/or tags; the previous version becomes a revision.

        `caller` None is a person (dashboard, CLI), who may change any project's contexts.
        """
        if content is None and context_type is None and tags is None:
            raise InvalidInput("give content, type or tags to change", field="content")
        found: Counter[str] = Counter()
        redactor = self.sessions.redactor
        if content is not None:
            check_content(content)
            content = redactor.clean(content, "content", found)
        cleaned_tags = (
            clean_tags([redactor.clean(t, f"tags[{i}]", found) for i, t in enumerate(tags)])
            if tags is not None
            else None
        )
        now = self.clock()
        with self.unit_of_work() as conn:
            current = self._editable(conn, caller, context_id, project)
            if current.deleted_at is not None:
                raise Conflict("this context is deleted; restore it before changing it", field="id")
            new_content = content if content is not None else current.content
            new_type = context_type.value if context_type is not None else current.context_type
            new_tags = cleaned_tags if cleaned_tags is not None else current.tags
            digest = content_hash(new_content)
            if (new_content, new_type, new_tags) != (current.content, current.context_type, current.tags):
                metadata = dict(current.metadata)
                if content is not None:
                    metadata.pop("redactions", None)  # the counts describe the text being replaced
                if found:
                    metadata["redactions"] = dict(found)
                repo.revise(
                    conn,
                    current,
                    context_type=new_type,
                    content=new_content,
                    tags=new_tags,
                    content_hash=digest,
                    metadata=metadata,
                    now=now,
                )
                self.texts_written(conn, [current.id])
                action = "updated"
            else:
                action = "unchanged"
            session = self._record(
                conn,
                caller,
                current,
                EventType.CONTEXT_UPDATED,
                "context_update",
                now,
                {"action": action, "revision": current.revision + (1 if action == "updated" else 0)},
                input_chars=len(new_content) if content is not None else 0,
            )
            after = repo.get_context(conn, context_id)
            assert after is not None
            return EditedContext(after, action, session, dict(found))

    def delete(
        self,
        caller: Caller | None,
        context_id: uuid.UUID,
        *,
        purge: bool = False,
        reason: str | None = None,
        project: str | None = None,
    ) -> EditedContext:
        """Soft-delete a context (restorable), or with `purge` remove its text for good."""
        if reason is not None and len(reason) > MAX_REASON:
            raise InvalidInput(f"reason must be at most {MAX_REASON} characters", field="reason")
        reason = self.sessions.redactor.clean_optional(reason, "reason")
        now = self.clock()
        with self.unit_of_work() as conn:
            current = self._editable(conn, caller, context_id, project, Role.ADMIN if purge else Role.WRITE)
            if current.purged_at is not None:
                return EditedContext(current, "already_purged")
            was_live = current.deleted_at is None
            if not purge and not was_live:
                return EditedContext(current, "already_deleted")
            if was_live and current.session_id is not None:
                repo.adjust_context_count(conn, current.session_id, -1)
            removed = 0
            if purge:
                removed = repo.purge(conn, context_id, now=now)
            else:
                repo.set_deleted(conn, context_id, now)
            event = EventType.CONTEXT_PURGED if purge else EventType.CONTEXT_DELETED
            payload: dict[str, object] = {"reason": reason} if reason else {}
            if purge:
                payload["revisions_removed"] = removed
            tool = "context_delete"
            session = self._record(conn, caller, current, event, tool, now, payload, input_chars=0)
            after = repo.get_context(conn, context_id)
            assert after is not None
            return EditedContext(after, "purged" if purge else "deleted", session, revisions_removed=removed)

    def restore(
        self, caller: Caller | None, context_id: uuid.UUID, *, project: str | None = None
    ) -> EditedContext:
        """Bring back a soft-deleted context (a purged one is gone for good)."""
        now = self.clock()
        with self.unit_of_work() as conn:
            current = self._editable(conn, caller, context_id, project)
            if current.purged_at is not None:
                raise Conflict("this context was purged; its text is gone and cannot be restored", field="id")
            if current.deleted_at is None:
                return EditedContext(current, "not_deleted")
            if current.topic_key is not None:
                holder = repo.find_by_key(conn, current.project_id, current.topic_key)
                if holder is not None:
                    raise Conflict(
                        f"key {current.topic_key!r} is now held by context {holder.id}; "
                        "delete or re-key that one first. Nothing was changed.",
                        field="id",
                    )
            repo.set_deleted(conn, context_id, None)
            if current.session_id is not None:
                repo.adjust_context_count(conn, current.session_id, +1)
            session = self._record(
                conn, caller, current, EventType.CONTEXT_RESTORED, "context_restore", now, {}, input_chars=0
            )
            after = repo.get_context(conn, context_id)
            assert after is not None
            return EditedContext(after, "restored", session)

    def _editable(
        self,
        conn: Connection,
        caller: Caller | None,
        context_id: uuid.UUID,
        project: str | None,
        role: Role = Role.WRITE,
    ) -> Context:
        """The context, locked, if this caller may change it: an agent only in its project or the named one;
        on a team server, only with `role` in its project (a context one may not read is not there)."""
        current = repo.lock_context(conn, context_id)
        if current is None:  # on PostgreSQL row security hides from a lock what one may only read
            seen = repo.get_context(conn, context_id)
            if seen is not None and may_read(conn, seen):
                require(seen.project_id, role, seen.project_name, field="id")
                raise Forbidden(f"you may not change contexts in project {seen.project_name!r}", field="id")
        if current is None or not may_read(conn, current):
            raise NotFound(f"no context {context_id}", field="id")
        require(current.project_id, role, current.project_name, field="id")
        if caller is None:
            return current
        if project is not None:
            named = find_project(conn, project)
            allowed_id, allowed_name = named.id, named.display_name
        else:
            allowed_id, allowed_name = caller_project(conn, caller)
        if current.project_id != allowed_id:
            raise NotFound(
                f"context {context_id} is not in project {allowed_name!r}; name its project to change it",
                field="id",
            )
        return current

    def _record(
        self,
        conn: Connection,
        caller: Caller | None,
        context: Context,
        event: EventType,
        tool: str,
        now: datetime,
        payload: dict[str, object],
        *,
        input_chars: int,
    ) -> Session | None:
        """The change's event: on the agent's session as a counted call, or on the project for a person."""
        self.changed(conn, context.project_id)
        self.audited(conn, AuditKind.CHANGE, context.project_id, [context.id])
        if caller is None:
            events_repo.insert_project_event(
                conn,
                project_id=context.project_id,
                event_type=event.value,
                actor=Actor.USER.value,
                occurred_at=now,
                payload=payload,
                context_id=context.id,
            )
            return None
        session = self.sessions.ensure_caller_in(conn, caller, now=now)
        return self.sessions.record_call_in(
            conn,
            session,
            tool=tool,
            now=now,
            event_type=event,
            context_id=context.id,
            input_tokens=estimate_tokens(input_chars + 60),
            output_tokens=estimate_tokens(120),
            payload={**payload, "project_id": str(context.project_id)},
        )
