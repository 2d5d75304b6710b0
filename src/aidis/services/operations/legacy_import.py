"""Import a TypeScript-AIDIS database: idempotent, read-only on the source, nothing silently re-projected.

Invariants: each source row is imported once (the import ledger records legacy id → local id, so a
second run imports only what is new); every batch is one transaction (a dry run rolls back a single
outer transaction); the report reconciles every source row. How rows are translated is in
`legacy_rows` (orphans arrive in Unassigned with their evidence kept for `aidis backfill`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from aidis.enums import Actor
from aidis.repositories import events as events_repo
from aidis.repositories import importing as repo
from aidis.repositories import legacy_source as source
from aidis.services.base import Clock, ServiceBase
from aidis.services.operations.legacy_rows import MAPPERS, ONTO_EXISTING, TableSummary

BATCH = 2000
KIND = {"projects": "project", "sessions": "session", "contexts": "context", "analytics_events": "event"}


@dataclass
class ImportReport:
    """The outcome of one import run."""

    run_id: str
    dry_run: bool
    tables: dict[str, TableSummary]


class LegacyImporter(ServiceBase):
    """Copies a TypeScript-AIDIS database into this one."""

    def __init__(self, engine: Engine, clock: Clock, idle_timeout: timedelta) -> None:
        super().__init__(engine, clock)
        self.idle_timeout = idle_timeout

    def run(
        self,
        source_url: str,
        *,
        dry_run: bool = False,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> ImportReport:
        """Import everything not imported before. With `dry_run`, do all the work and roll it back."""
        run_id = f"import-{self.clock():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        report = ImportReport(run_id, dry_run, {t: TableSummary() for t in source.TABLES})
        src = source.source_engine(source_url)
        try:
            with src.connect() as reader, self._target(dry_run) as batch_tx:
                shape = source.check_shape(reader)
                for table in source.TABLES:
                    report.tables[table].source = source.count(reader, table)
                for table in source.TABLES:
                    summary = report.tables[table]
                    done = 0
                    for rows in source.batches(reader, table, shape[table], BATCH):
                        with batch_tx() as conn:
                            self._import_batch(conn, table, rows, summary, run_id)
                        done += len(rows)
                        if progress:
                            progress(table, done, summary.source)
                with batch_tx() as conn:
                    self._finish(conn, run_id, report)
                    if not dry_run:
                        self.changed(conn, everything=True)
        finally:
            src.dispose()
        return report

    @contextmanager
    def _target(self, dry_run: bool) -> Iterator[Callable[[], Any]]:
        """Per-batch transactions; in a dry run, savepoints inside one transaction that is rolled back."""
        if not dry_run:
            yield self.unit_of_work
            return
        with self.engine.connect() as conn:
            outer = conn.begin()

            @contextmanager
            def nested() -> Iterator[Connection]:
                with conn.begin_nested():
                    yield conn

            try:
                yield nested
            finally:
                outer.rollback()

    def _import_batch(
        self, conn: Connection, table: str, rows: list[dict[str, Any]], summary: TableSummary, run_id: str
    ) -> None:
        kind = KIND[table]
        key = source.KEYS[table]
        seen = repo.already_imported(conn, kind, [str(r[key]) for r in rows])
        fresh = [r for r in rows if str(r[key]) not in seen]
        summary.already += len(rows) - len(fresh)
        if not fresh:
            return
        now = self.clock()
        mapped = MAPPERS[table](conn, fresh, summary, now, self.idle_timeout)
        repo.insert_rows(conn, table, [m for _, m in mapped if not m.get(ONTO_EXISTING)])
        local_key = "id"
        repo.record_imported(
            conn,
            kind,
            [(str(legacy), str(m[local_key]) if local_key in m else "") for legacy, m in mapped],
            run_id=run_id,
            now=now,
        )
        summary.imported += len(mapped)

    def _finish(self, conn: Connection, run_id: str, report: ImportReport) -> None:
        """Give closed imported sessions an end event and set every imported session's counters from rows."""
        after = ""
        while True:
            ids = repo.run_local_ids(conn, "session", run_id, after=after, limit=5000)
            if not ids:
                return
            session_ids = [uuid.UUID(i) for i in ids]
            made = len(
                events_repo.write_end_events(conn, session_ids, actor=Actor.IMPORT, synthesized_by="import")
            )
            if made:
                report.tables["sessions"].note("end events written for closed sessions", made)
            repo.recount_sessions(conn, session_ids)
            after = ids[-1]
