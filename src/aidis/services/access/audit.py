"""The audit trail: who read and changed which project's data, through what, from where, and when.

Invariants: a change is recorded in the transaction that makes it (no change without its entry, no
entry without its change); a read is recorded a moment later in a batch, so auditing a search costs
a list append on the request's path (a crash can lose at most the last second of reads, never a
change); entries name ids and counts, never content; refusals are entries too (a grant missing, or an id
the person may not see); the table is append-only (PostgreSQL refuses UPDATE and DELETE, but for
`aidis prune --audit`).
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import datetime

from sqlalchemy import Connection, Engine

from aidis.enums import AuditKind
from aidis.errors import AidisError, Forbidden, InvalidInput, NotFound
from aidis.records import AuditEntry
from aidis.repositories import audit as repo
from aidis.repositories import team as team_repo
from aidis.services.base import Clock, ServiceBase
from aidis.services.principal import require_server_admin
from aidis.services.projects.catalog import find_project

log = logging.getLogger("aidis.audit")

FLUSH_SECONDS = 1.0
FLUSH_AT = 500  # a full batch is written at once


def _asked(error: AidisError) -> list[str]:
    """What a refused request named (its field), for the trail: never the value, which may be content."""
    return [f"field:{error.field}"[:64]] if error.field else []


class AuditTrail(ServiceBase):
    """Writes entries (changes at once, reads in batches) and reads them back."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        super().__init__(engine, clock)
        self._pending: list[AuditEntry] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.audit = self  # its own sink: `audited` (used for refusals) hands reads to `read`

    # --- the sink (aidis.services.base.AuditSink) ------------------------------------------------

    def change(self, conn: Connection, entry: AuditEntry) -> None:
        """Record a change in its own transaction."""
        repo.append(conn, [entry])

    def read(self, entry: AuditEntry) -> None:
        """Record a read: batched, written within FLUSH_SECONDS."""
        with self._lock:
            self._pending.append(entry)
            full = len(self._pending) >= FLUSH_AT
            if self._thread is None and not self._stopping.is_set():
                self._thread = threading.Thread(target=self._run, name="aidis-audit", daemon=True)
                self._thread.start()
        if full:
            self._wake.set()

    def denied(self, error: AidisError) -> None:
        """Record that the current request was refused for want of a grant (Forbidden) or asked for
        something it may not see (NotFound: a hidden project, context or session answers exactly as a
        missing one, and both are recorded, so a trail shows someone trying ids): which person,
        credential, tool or route, the error's code and the field it named."""
        if isinstance(error, Forbidden | NotFound):  # the entry is built as every audited read's is
            self.audited(None, AuditKind.DENIED, None, _asked(error), count=0, outcome=error.code[:16])

    def flush(self) -> int:
        """Write the reads waiting in the batch now; returns how many."""
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return 0
        try:
            with self.unit_of_work() as conn:
                repo.append(conn, batch)
        except AidisError as exc:  # the database is away: keep them for the next try
            log.warning("audit entries postponed: %s", exc.message)
            with self._lock:
                self._pending[:0] = batch
            return 0
        return len(batch)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(FLUSH_SECONDS)
            self._wake.clear()
            self.flush()

    def close(self) -> None:
        """Write what is waiting and stop the writer."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()

    # --- reading it back -------------------------------------------------------------------------

    def entries(
        self,
        *,
        user: str | None = None,
        project: str | None = None,
        since: datetime | None = None,
        limit: int = 200,
    ) -> list[AuditEntry]:
        """The newest entries, by user, project and time (server admins only: the trail names everyone)."""
        require_server_admin("the audit trail", field="user")
        if not 1 <= limit <= 10_000:
            raise InvalidInput("limit must be between 1 and 10000", field="limit")
        self.flush()
        with self.reading() as conn:
            user_id: uuid.UUID | None = None
            if user is not None:
                found = team_repo.user_by_name(conn, user)
                if found is None:
                    raise InvalidInput(f"no user named {user!r}", field="user")
                user_id = found.id
            project_id = find_project(conn, project, field="project").id if project else None
            return repo.read(conn, user_id=user_id, project_id=project_id, since=since, limit=limit)

    def prune(self, before: datetime) -> int:
        """Let entries older than `before` go (retention, `aidis prune --audit`)."""
        with self.unit_of_work() as conn:
            return repo.prune_before(conn, before)
