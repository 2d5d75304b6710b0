"""How the dashboard says the record's terms in words (`context_seen` → "same note stored again").

Invariant: every event type and actor has its words here, so a page never shows a bare identifier; the
identifier stays in the element's title for anyone searching the API or logs for it.
"""

from __future__ import annotations

from aidis.enums import Actor, EventType

__all__ = ["actor_words", "event_words"]

EVENT_WORDS: dict[str, str] = {
    EventType.SESSION_START: "session started",
    EventType.SESSION_END: "session ended",
    EventType.SESSION_ASSIGNED: "moved to a project",
    EventType.CONTEXT_STORED: "note stored",
    EventType.TOOL_CALL: "AIDIS tool called",
    EventType.PROJECT_CREATED: "project created",
    EventType.PROJECT_RENAMED: "project renamed",
    EventType.PROJECT_ARCHIVED: "project archived",
    EventType.PROJECT_DELETED: "project deleted",
    EventType.PROJECT_SWITCHED: "switched project",
    EventType.CONTEXT_SEEN: "same note stored again",
    EventType.CONTEXT_UPDATED: "note revised",
    EventType.CONTEXT_DELETED: "note deleted",
    EventType.CONTEXT_RESTORED: "note restored",
    EventType.CONTEXT_PURGED: "note erased for good",
    EventType.CONTEXTS_PRUNED: "old notes pruned",
    EventType.EVENTS_PRUNED: "old events pruned",
}
ACTOR_WORDS: dict[str, str] = {
    Actor.AGENT: "by the agent",
    Actor.USER: "by a person",
    Actor.SYSTEM: "by AIDIS",
    Actor.BACKFILL: "by a backfill",
    Actor.IMPORT: "by an import",
}


def event_words(event_type: str) -> str:
    """An event type in words (an unknown one as its identifier with spaces)."""
    return EVENT_WORDS.get(event_type, event_type.replace("_", " "))


def actor_words(actor: str) -> str:
    """Who did it, in words."""
    return ACTOR_WORDS.get(actor, f"by {actor}")
