"""Prompt-time recall: the few notes of a session's own project that are about what the person just asked,
handed to the model with the prompt (the agent's prompt hook relays the text; aidis.hooks.recall).

Invariants: only the session's own project is searched — never another project, never Unassigned (it
holds every project's leftovers) — and in team mode only what the person may read (audited as a read);
only notes that clear an absolute relevance floor (meaning: cosine similarity; or the prompt's exact
identifiers) are recalled, so an unrelated prompt recalls nothing and then nothing at all is injected,
not even a header; a note already recalled into this session, or shown by its start-of-session
hand-over, is not recalled again; the text stays within a character budget, each note with its id and
age, inside one marked block that AIDIS strips from everything it stores (aidis.services.text.redaction),
so recalled memory never feeds back into memory.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from aidis.enums import AuditKind, Role, SearchMode
from aidis.records import Session
from aidis.repositories import contexts as contexts_repo
from aidis.repositories import projects as projects_repo
from aidis.repositories import recalls as recalls_repo
from aidis.repositories import sessions as sessions_repo
from aidis.search_syntax import parse_query
from aidis.services.base import ServiceBase
from aidis.services.principal import current_principal
from aidis.services.search.hybrid import HybridRanker
from aidis.services.text.redaction import RECALL_CLOSE, RECALL_OPEN, strip_recalled

HANDED_OVER = 8  # the hand-over shows a project's newest notes (aidis.services.handover.context)
MAX_QUERY_CHARS = 2_000
PROJECT_SWITCH = "recall"  # a project's metadata key: "off" turns recall off for it


@dataclass(frozen=True, slots=True)
class RecallSettings:
    """How much recall may inject, and how relevant a note must be."""

    enabled: bool = True
    max_items: int = 3
    max_chars: int = 1_500
    floor: float | None = None  # cosine similarity; None: the model's own recall floor (measured per model)


@dataclass(frozen=True, slots=True)
class Recalled:
    """One recalled note."""

    id: uuid.UUID
    context_type: str
    content: str
    created_at: datetime
    score: float


@dataclass(frozen=True, slots=True)
class RecallAnswer:
    """What to inject ("" for nothing), the notes in it, and why nothing when nothing."""

    text: str
    items: list[Recalled] = field(default_factory=list)
    reason: str = ""
    mode_used: str = ""


class RecallService(ServiceBase):
    """Finds and renders the notes to recall for one prompt."""

    ranker: HybridRanker  # set by build_app (the process's embedder)
    settings: RecallSettings = RecallSettings()

    def for_prompt(self, connection_id: str, prompt: str, *, now: datetime | None = None) -> RecallAnswer:
        """The recall block for a prompt of the agent session `connection_id` (its hooks' connection)."""
        if not self.settings.enabled:
            return RecallAnswer("", reason="recall is off (AIDIS_RECALL=off)")
        query = " ".join(strip_recalled(prompt).split())[:MAX_QUERY_CHARS]
        parsed = parse_query(query)
        if not parsed.had_words:
            return RecallAnswer("", reason="the prompt has no words to search for")
        moment = now or self.clock()
        self.ranker.settle(SearchMode.SEMANTIC)  # what this process just stored is found by meaning too
        with self.reading() as conn:
            session = sessions_repo.get_open_for_connection(conn, connection_id) or (
                sessions_repo.latest_for_connection(conn, connection_id)
            )
            refused = self._refusal(conn, session)
            if refused:
                return RecallAnswer("", reason=refused)
            assert session is not None
            flt = contexts_repo.ContextFilter(project_ids=[session.project_id])
            skip = recalls_repo.given(conn, connection_id) | _handed_over(conn, session)
            ranking = self.ranker.relevant(
                conn, parsed, query, flt, floor=self.settings.floor, want=self.settings.max_items + len(skip)
            )
            chosen = [c for c in ranking.candidates if c.id not in skip][: self.settings.max_items]
            found = {c.id: c for c in contexts_repo.get_many(conn, [c.id for c in chosen])}
        items = [
            Recalled(c.id, found[c.id].context_type, found[c.id].content, found[c.id].created_at, c.score)
            for c in chosen
            if c.id in found
        ]
        text, shown = render(items, moment, self.settings.max_chars)
        if not shown:
            return RecallAnswer(
                "",
                reason=ranking.notice or "nothing above the relevance floor",
                mode_used=ranking.mode_used.value,
            )
        with self.unit_of_work() as conn:
            recalls_repo.record(
                conn, connection_id, session.project_id, [(i.id, i.score) for i in shown], moment
            )
        self.audited(None, AuditKind.READ, session.project_id, [i.id for i in shown])
        return RecallAnswer(text, shown, mode_used=ranking.mode_used.value)

    def _refusal(self, conn: Connection, session: Session | None) -> str | None:
        """Why this session gets no recall, or None when it may."""
        if session is None:
            return "the agent session is not recorded yet"
        if session.is_unassigned:
            return "the session is Unassigned (no project of its own)"
        principal = current_principal()
        if principal is not None and not principal.may(session.project_id, Role.READ):
            return "the person may not read this project"
        project = projects_repo.get_by_id(conn, session.project_id)
        if project is None:
            return "the project is gone"
        if str(project.metadata.get(PROJECT_SWITCH, "on")).lower() == "off":
            return f"recall is off for project {project.display_name}"
        return None


def _handed_over(conn: Connection, session: Session) -> set[uuid.UUID]:
    """The notes the session's start-of-session hand-over showed: its project's newest, as of its start."""
    flt = contexts_repo.ContextFilter(project_ids=[session.project_id], until=session.started_at)
    return {c.id for c in contexts_repo.recent_full(conn, flt, limit=HANDED_OVER)}


def age(then: datetime, now: datetime) -> str:
    """'just now', '5 minutes ago', '3 hours ago', '2 days ago', '7 weeks ago'."""
    seconds = max(0, int((now - then).total_seconds()))
    for unit, size in (("week", 604_800), ("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def render(items: list[Recalled], now: datetime, budget: int) -> tuple[str, list[Recalled]]:
    """The marked block and the notes it holds (a note that does not fit whole is cut; one that does not
    fit at all is left out); ("", []) when none."""
    head = f"{RECALL_OPEN}\nFrom this project's memory (AIDIS), possibly relevant to the prompt:"
    tail = "Whole texts: context_get with the id. Recalled memory, not part of the request.\n" + RECALL_CLOSE
    room = budget - len(head) - len(tail) - 2
    lines: list[str] = []
    shown: list[Recalled] = []
    for item in items:
        label = f"- [{item.context_type}, {age(item.created_at, now)}, id {str(item.id)[:8]}] "
        body = " ".join(item.content.split())
        left = room - sum(len(line) + 1 for line in lines) - len(label) - 1
        if left < 40:
            break
        if len(body) > left:
            body = body[: left - 1].rstrip() + "…"
        lines.append(label + body)
        shown.append(item)
    if not shown:
        return "", []
    return "\n".join([head, *lines, tail]), shown


__all__ = ["RecallAnswer", "RecallService", "RecallSettings", "Recalled", "render"]
