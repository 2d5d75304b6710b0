"""Hand-over: what a new session of a project is told — its last sessions and summaries, what the last
one did (the activity digest), recent memory, open next steps — rendered from the database
(`context`) and kept prepared in files the hook fast path reads without the application (`files`).

May call: `text`, `projects` and the kernel (repositories for the rest). Sessions, memory, agents and
operations call it (the sessions domain writes summaries from the digest).
"""

from aidis.services.handover.context import SessionContextService, render_summary
from aidis.services.handover.digest import ActivityDigest, digest
from aidis.services.handover.files import HandoverFiles

__all__ = ["ActivityDigest", "HandoverFiles", "SessionContextService", "digest", "render_summary"]
