"""What a returning agent is told when a session starts: its project's last session summaries, what the
last session did (files changed, tests left failing), recent and most-used memory, and open next steps.

Invariants: only the session's own project is read (never another project's data); the text stays
within a token budget (about four characters a token) and under the agent's hard limit on hook
output; it says how to get more.
"""

from __future__ import annotations

import uuid
from typing import Any

from aidis.enums import AuditKind, Role
from aidis.records import Project
from aidis.repositories import activity as activity_repo
from aidis.repositories import contexts as contexts_repo
from aidis.repositories import projects as projects_repo
from aidis.repositories import sessions as sessions_repo
from aidis.services.base import ServiceBase
from aidis.services.handover.digest import ActivityDigest, digest
from aidis.services.principal import current_principal

HARD_LIMIT_CHARS = 9_500  # Claude Code cuts hook output at 10,000 characters
DEFAULT_BUDGET_TOKENS = 1_500
SUMMARY_FIELDS = ("goal", "accomplished", "discoveries", "files", "next_steps")


def _line(text: str, limit: int = 220) -> str:
    first = " ".join(str(text).split())
    return first if len(first) <= limit else first[: limit - 1] + "…"


def render_summary(summary: dict[str, Any]) -> str:
    """A stored summary as short labelled lines."""
    parts = []
    for name in SUMMARY_FIELDS:
        value = summary.get(name)
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        if value:
            parts.append(f"{name.replace('_', ' ')}: {_line(str(value), 400)}")
    return "; ".join(parts)


class SessionContextService(ServiceBase):
    """Builds the start-of-session context for a project."""

    def for_connection(self, connection_id: str, *, budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> str:
        """The context for the open session of a connection (its project's, without that session itself)."""
        with self.reading() as conn:
            session = sessions_repo.get_open_for_connection(conn, connection_id)
        if session is None or session.is_unassigned:
            return ""  # Unassigned holds every project's leftovers: never hand those to an agent
        return self.for_project(session.project_id, budget_tokens=budget_tokens, exclude=session.id)

    def for_project(
        self,
        project_id: uuid.UUID,
        *,
        budget_tokens: int = DEFAULT_BUDGET_TOKENS,
        exclude: uuid.UUID | None = None,
    ) -> str:
        """The context text for `project_id` (empty when the project has nothing to say yet, or the current
        request may not read it)."""
        principal = current_principal()
        if principal is not None and not principal.may(project_id, Role.READ):
            return ""
        with self.reading() as conn:
            project = projects_repo.get_by_id(conn, project_id)
            if project is None:
                return ""
            sessions = [
                s for s in sessions_repo.recent_in_project(conn, project_id, limit=8) if s.id != exclude
            ]
            recent = contexts_repo.recent_full(
                conn, contexts_repo.ContextFilter(project_ids=[project_id]), limit=8
            )
            work = None
            if sessions:
                last = sessions[0]
                overflow = last.metadata.get("activity_overflow")
                work = (
                    last,
                    digest(
                        activity_repo.for_session(conn, last.id),
                        overflow if isinstance(overflow, dict) else None,
                    ),
                )
        text = _compose(project, sessions, recent, min(budget_tokens * 4, HARD_LIMIT_CHARS), work)
        if text:  # the hand-over shows a project's notes and sessions: a read like any other
            self.audited(None, AuditKind.READ, project_id, [c.id for c in recent] + [s.id for s in sessions])
        return text


def _compose(
    project: Project,
    sessions: list[Any],
    recent: list[Any],
    limit: int,
    work: tuple[Any, ActivityDigest] | None = None,
) -> str:
    lines = [f"# AIDIS memory for project {project.display_name}"]
    summaries = [(s, s.metadata.get("summary")) for s in sessions]
    if any(isinstance(summary, dict) for _, summary in summaries) or sessions:
        lines.append("## Recent sessions")
    next_steps = []
    for session, summary in summaries:
        when = session.started_at.strftime("%Y-%m-%d")
        head = f"- {session.display_id} ({when}, {session.status})" + (
            f" {_line(session.title, 80)}" if session.title else ""
        )
        if isinstance(summary, dict):
            head += f" — {render_summary(summary)}"
            if summary.get("next_steps"):
                next_steps.append(f"- from {session.display_id}: {_line(str(summary['next_steps']), 300)}")
        lines.append(head)
    if work is not None and not work[1].empty:
        last, found = work
        lines.append(f"## What {last.display_id} did")
        lines.append(f"- {found.sentence() or 'read files'}")
        changed = found.changed()
        if changed:
            shown = ", ".join(changed[:15]) + (f" and {len(changed) - 15} more" if len(changed) > 15 else "")
            lines.append(f"- files changed: {_line(shown, 600)}")
        lines += [f"- left failing: {_line(f, 300)}" for f in found.failing()]
    if recent:
        lines.append("## Recent memory")
        lines += [f"- [{c.context_type}] {_line(c.content, 160)} (id {c.id})" for c in recent]
    if next_steps:
        lines.append("## Open next steps")
        lines += next_steps
    if len(lines) == 1:
        return ""
    lines.append(
        "More: the AIDIS tools context_search (recall memory by meaning), context_store (remember) and "
        "aidis_tool (sessions and the rest); where tools are deferred, load them with ToolSearch "
        '"select:mcp__aidis__context_search,mcp__aidis__context_store".'
    )
    out: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit:
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)
