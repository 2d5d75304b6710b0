"""What every service shares: the engine, the clock, the unit of work, and the feed of committed changes.

Invariants: a change is announced (`changed`, `texts_written`) only once its transaction has
committed — callbacks run after `unit_of_work` leaves its block without error, never on rollback —
so whoever listens (the prepared hand-overs, aidis.services.handover.files; the embedder,
aidis.services.search.embedder) never acts on work that did not happen. A transaction opened for a
request that acts for a person acts for that person in the database too (PostgreSQL row-level
security, aidis.repositories.row_security), so a check a service forgot is still made.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import InterfaceError, OperationalError

from aidis.db.engine import READ_ONLY_OPTION
from aidis.enums import AuditKind, Role, Surface
from aidis.errors import Unavailable
from aidis.repositories.audit import AuditEntry
from aidis.repositories.row_security import act_for
from aidis.services.principal import current_principal, current_request
from aidis.telemetry import Telemetry

log = logging.getLogger("aidis.db")

Clock = Callable[[], datetime]


COMMITTED = "aidis_committed_callbacks"


class ChangeFeed(Protocol):
    """Who hears of committed changes (the app wires the prepared hand-overs in)."""

    def project_changed(self, project_id: uuid.UUID) -> None:
        """Something a project's hand-over shows changed (memory, a session ended or moved, a rename)."""

    def workspaces_changed(self) -> None:
        """Which folder belongs to which project may have changed (roots, repositories, merges)."""

    def everything_changed(self) -> None:
        """A bulk job rewrote data across projects (import, backfill, retention, demo)."""

    def folders_attributed(self, folders: list[str], project_id: uuid.UUID) -> None:
        """A session was attributed to `project_id` from these folders."""

    def texts_written(self, context_ids: list[uuid.UUID] | None) -> None:
        """These contexts got a new text (None: some contexts, not listed — look for them)."""


class NoChanges:
    """The feed when nobody listens."""

    def project_changed(self, project_id: uuid.UUID) -> None:
        """Nothing."""

    def workspaces_changed(self) -> None:
        """Nothing."""

    def everything_changed(self) -> None:
        """Nothing."""

    def folders_attributed(self, folders: list[str], project_id: uuid.UUID) -> None:
        """Nothing."""

    def texts_written(self, context_ids: list[uuid.UUID] | None) -> None:
        """Nothing."""


class AuditSink(Protocol):
    """Where audited reads and changes go (the app wires the audit trail in on a team server)."""

    def change(self, conn: Connection, entry: AuditEntry) -> None:
        """Record a change in the transaction that makes it."""

    def read(self, entry: AuditEntry) -> None:
        """Record a read (batched: written shortly after)."""


class NoAudit:
    """The sink when nothing is audited."""

    def change(self, conn: Connection, entry: AuditEntry) -> None:
        """Nothing."""

    def read(self, entry: AuditEntry) -> None:
        """Nothing."""


MAX_AUDITED_IDS = 50


class ServiceBase:
    """Holds the engine and clock; `unit_of_work()` yields one transaction."""

    changes: ChangeFeed = NoChanges()  # build_app sets the app's feed on every service
    audit: AuditSink = NoAudit()  # build_app sets the audit trail on every service

    def __init__(self, engine: Engine, clock: Clock, telemetry: Telemetry | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.telemetry = telemetry or Telemetry()

    @contextmanager
    def unit_of_work(self) -> Iterator[Connection]:
        """One write transaction; a lost database becomes `Unavailable` with the driver's reason logged.
        Callbacks registered with `changed` run once it has committed."""
        committed: list[Callable[[], None]] = []
        with _database_errors(), self.engine.begin() as conn:
            info = conn.info  # the dict itself: a connection lost mid-transaction cannot be asked again
            act_for_principal(conn)
            info[COMMITTED] = committed
            try:
                yield conn
            finally:
                info.pop(COMMITTED, None)
        for callback in committed:
            try:
                callback()
            except Exception:
                log.exception("a committed-change listener failed")

    def changed(
        self,
        conn: Connection,
        project_id: uuid.UUID | None = None,
        *,
        workspaces: bool = False,
        everything: bool = False,
    ) -> None:
        """Announce, once `conn`'s transaction has committed, that a project's shown data, the workspace
        map, or everything changed (outside a unit of work: at once, as the caller commits itself)."""
        feed = self.changes
        if everything:
            callback: Callable[[], None] = feed.everything_changed
        elif workspaces:
            callback = feed.workspaces_changed
        elif project_id is not None:
            pid = project_id
            callback = lambda: feed.project_changed(pid)  # noqa: E731 - a closure over one id
        else:
            return
        self.on_committed(conn, callback)

    def texts_written(self, conn: Connection, context_ids: list[uuid.UUID] | None) -> None:
        """Announce, once committed, that these contexts hold a new text (None: unlisted ones do)."""
        feed = self.changes
        self.on_committed(conn, lambda: feed.texts_written(context_ids))

    def audited(
        self,
        conn: Connection | None,
        kind: AuditKind,
        project_id: uuid.UUID | None,
        ids: Sequence[object] = (),
        count: int | None = None,
        outcome: str = "ok",
        *,
        operator_action: str | None = None,
    ) -> None:
        """Put a read or change of a project's data on the audit trail, when the request acts for
        someone: who, which token, which tool or route, which ids (bounded) and how many — never
        content. A change is written in `conn`'s transaction; a read is batched. With
        `operator_action`, a change made for nobody in particular (the command line) is recorded too."""
        request = current_request()
        if request is None and operator_action is None:
            return
        who = request.principal if request is not None else None
        entry = AuditEntry(
            occurred_at=self.clock(),
            user_id=who.user_id if who else None,
            user_name=who.name if who else None,
            token_id=who.token_id if who else None,
            surface=who.surface.value if who else Surface.CLI.value,
            address=who.address if who else None,
            action=(request.action if request is not None else operator_action) or "unknown",
            kind=kind,
            project_id=project_id,
            target_ids=[str(i) for i in list(ids)[:MAX_AUDITED_IDS]],
            item_count=len(ids) if count is None else count,
            outcome=outcome,
        )
        if kind is AuditKind.CHANGE and conn is not None:
            self.audit.change(conn, entry)
        else:
            self.audit.read(entry)

    def on_committed(self, conn: Connection, callback: Callable[[], None]) -> None:
        """Run `callback` once `conn`'s unit of work has committed (at once outside a unit of work)."""
        pending = conn.info.get(COMMITTED)
        if isinstance(pending, list):
            pending.append(callback)
        else:
            callback()

    @property
    def whole_writes_in_one_statement(self) -> bool:
        """True on PostgreSQL, where a data-modifying CTE lets one statement find, lock and change
        rows (SQLite runs such work as several statements in a write transaction)."""
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def one_statement(self) -> Iterator[Connection]:
        """A connection for a unit of work that is a single statement (atomic by itself): on
        PostgreSQL, acting for nobody in particular, it runs without BEGIN and COMMIT — one round
        trip instead of three; otherwise it is `unit_of_work`."""
        if not (self.whole_writes_in_one_statement and acts_for_nobody()):
            with self.unit_of_work() as conn:
                yield conn
            return
        with (
            _database_errors(),
            self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn,
        ):
            yield conn

    @contextmanager
    def reading(self, *, transaction: bool = False) -> Iterator[Connection]:
        """A read-only connection (on SQLite a read transaction: one snapshot, no write lock).

        On PostgreSQL its statements run without BEGIN and ROLLBACK — two round trips fewer — unless
        `transaction` is asked for (a `SET LOCAL` needs one) or the request acts for a person (row-level
        security settings live in a transaction). Nothing is lost: at READ COMMITTED, PostgreSQL's
        level here, every statement takes its own snapshot inside a transaction too.
        """
        options: dict[str, object] = {READ_ONLY_OPTION: True}
        if not transaction and self.engine.dialect.name == "postgresql" and acts_for_nobody():
            options["isolation_level"] = "AUTOCOMMIT"
        with _database_errors(), self.engine.connect().execution_options(**options) as conn:
            act_for_principal(conn)
            yield conn


def acts_for_nobody() -> bool:
    """True when no person's row-level security applies (no principal, or a server admin)."""
    principal = current_principal()
    return principal is None or principal.is_admin


def act_for_principal(conn: Connection) -> None:
    """On PostgreSQL, make the transaction act for the request's person (row-level security as the
    backstop of every service check); nothing for nobody in particular or a server admin."""
    principal = current_principal()
    if principal is None or principal.is_admin or conn.dialect.name != "postgresql":
        return
    act_for(
        conn,
        principal.user_id,
        principal.projects(Role.READ),
        principal.projects(Role.WRITE),
        principal.projects(Role.ADMIN),
    )


@contextmanager
def _database_errors() -> Iterator[None]:
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        reason = " ".join(str(getattr(exc, "orig", exc)).split())[:200]
        log.warning("database unavailable: %s", reason)
        raise Unavailable(
            f"the AIDIS database cannot be reached right now ({reason}); nothing was written, retry shortly"
        ) from exc
