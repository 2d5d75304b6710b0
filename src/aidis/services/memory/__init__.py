"""Memory: contexts stored in a project and counted on the caller's session, read compactly first and
in full on demand (search, recent, timeline), corrected and forgotten (revisions, soft delete,
restore, purge), exported and imported, pruned by retention, and recalled with a prompt (recall).

May call: `search`, `sessions`, `projects`, `text` and the kernel.
"""

from aidis.services.memory.edits import ContextEditService
from aidis.services.memory.reads import ContextQuery, ContextReadService
from aidis.services.memory.recall import RecallAnswer, RecallService
from aidis.services.memory.store import ContextService

__all__ = [
    "ContextEditService",
    "ContextQuery",
    "ContextReadService",
    "ContextService",
    "RecallAnswer",
    "RecallService",
]
