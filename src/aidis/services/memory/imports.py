"""Loading an AIDIS export (JSON lines) into this database, on either engine.

Invariants: the whole file loads in one transaction or not at all; a malformed line is refused with
its line number and nothing is written; loading the same file again changes nothing (UUID rows are
matched by id, session-less events by a ledger key, everything else belongs to a session or context
that is loaded at most once); a project whose name already exists here is merged onto that project;
a session number already used here gets a new one (the old one is kept in its metadata); counters
are recomputed from rows, so `aidis check` stays clean.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from aidis.errors import InvalidInput
from aidis.repositories import exchange as repo
from aidis.repositories import importing as ledger
from aidis.repositories import sessions as sessions_repo
from aidis.services.base import ServiceBase
from aidis.services.memory.exports import FORMAT, VERSION, canonical
from aidis.services.principal import require_server_admin
from aidis.services.sessions.display_ids import format_display_id

_DISPLAY = re.compile(r"^SES-(\d{4})-(\d+)$")
LEDGER_KIND = "export-event"
Progress = Callable[[str, int], None]


@dataclass
class ImportReport:
    """What a load did, per kind: rows inserted and rows already here."""

    inserted: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    renumbered_sessions: int = 0
    merged_projects: int = 0

    def add(self, kind: str, inserted: int, skipped: int) -> None:
        """Count one batch."""
        self.inserted[kind] = self.inserted.get(kind, 0) + inserted
        self.skipped[kind] = self.skipped.get(kind, 0) + skipped


def read_records(lines: Iterable[str]) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(line number, kind, row) for each record of an export; refuses anything malformed, by line."""
    header_seen = False
    ended = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise InvalidInput(f"line {number} is not JSON; nothing was imported", field="file") from None
        kind = record.get("kind") if isinstance(record, dict) else None
        if not header_seen:
            if kind != "meta" or record.get("format") != FORMAT or record.get("version") != VERSION:
                raise InvalidInput(
                    f"line {number}: not an AIDIS export (format {FORMAT} version {VERSION}); nothing was imported",
                    field="file",
                )
            header_seen = True
            continue
        if kind == "end":
            ended = True
            continue
        row = record.get("row")
        if kind not in repo.TABLES or not isinstance(row, dict):
            raise InvalidInput(
                f"line {number}: unknown record kind {kind!r}; nothing was imported", field="file"
            )
        unknown = set(row) - repo.columns_of(kind)
        if unknown:
            raise InvalidInput(
                f"line {number}: {kind} has unknown field {sorted(unknown)[0]!r}; nothing was imported",
                field="file",
            )
        yield number, kind, row
    if not header_seen:
        raise InvalidInput("the file is empty; nothing was imported", field="file")
    if not ended:
        raise InvalidInput(
            "the file ends early (no summary line): it is incomplete; nothing was imported", field="file"
        )


class ExportImporter(ServiceBase):
    """Load an export into this database, idempotently."""

    def load(self, lines: Iterable[str], progress: Progress | None = None) -> ImportReport:
        """Load every record of an export in one transaction."""
        require_server_admin("import")
        report = ImportReport()
        state = _State()
        now = self.clock()
        run_id = f"export-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        with self.unit_of_work() as conn:
            self.changed(conn, everything=True)
            batch: list[dict[str, Any]] = []
            current: str | None = None
            for number, kind, row in read_records(lines):
                if kind != current or len(batch) >= repo.BATCH:
                    if current is not None:
                        self._flush(conn, current, batch, state, report, run_id)
                    batch, current = [], kind
                try:
                    batch.append(repo.decode(kind, row))
                except (ValueError, TypeError) as exc:
                    raise InvalidInput(
                        f"line {number}: {kind} has a bad value ({exc}); nothing was imported", field="file"
                    ) from None
                if progress is not None:
                    progress(kind, 1)
            if current is not None:
                self._flush(conn, current, batch, state, report, run_id)
            ledger.recount_sessions(conn, sorted(state.touched_sessions))
        return report

    def _flush(
        self,
        conn: Connection,
        kind: str,
        rows: list[dict[str, Any]],
        state: _State,
        report: ImportReport,
        run_id: str,
    ) -> None:
        handler = getattr(self, f"_load_{kind}")
        handler(conn, rows, state, report, run_id)

    def _load_project(
        self, conn: Connection, rows: list[dict[str, Any]], state: _State, report: ImportReport, run_id: str
    ) -> None:
        existing = repo.existing_ids(conn, "project", [r["id"] for r in rows])
        by_name = repo.project_ids_by_name(conn, [r["name"] for r in rows if r["id"] not in existing])
        new = []
        for row in rows:
            if row["id"] in existing:
                state.projects[row["id"]] = row["id"]
            elif row["name"] in by_name:
                state.projects[row["id"]] = by_name[row["name"]]
                report.merged_projects += 1
            else:
                state.projects[row["id"]] = row["id"]
                new.append(row)
        repo.insert_many(conn, "project", new)
        report.add("project", len(new), len(rows) - len(new))

    def _load_workspace(
        self, conn: Connection, rows: list[dict[str, Any]], state: _State, report: ImportReport, run_id: str
    ) -> None:
        inserted = 0
        for row in rows:
            row.pop("id", None)
            row["project_id"] = state.project(row["project_id"])
            inserted += repo.insert_workspace(conn, row)
        report.add("workspace", inserted, len(rows) - inserted)

    def _load_session(
        self, conn: Connection, rows: list[dict[str, Any]], state: _State, report: ImportReport, run_id: str
    ) -> None:
        existing = repo.existing_ids(conn, "session", [r["id"] for r in rows])
        new = [r for r in rows if r["id"] not in existing]
        taken = repo.taken_display_ids(conn, [r["display_id"] for r in new])
        for row in new:
            if row["display_id"] not in taken:
                state.note_display_id(row["display_id"])
        for year, number in state.highest.items():  # new numbers must come after every kept one
            repo.raise_display_counter(conn, year, number)
        for row in new:
            row["project_id"] = state.project(row["project_id"])
            if row["display_id"] in taken:
                year = row["started_at"].year
                number = sessions_repo.reserve_display_numbers(conn, year, 1)
                row["metadata"] = {**(row.get("metadata") or {}), "imported_display_id": row["display_id"]}
                row["display_id"] = format_display_id(year, number)
                report.renumbered_sessions += 1
            state.loaded_sessions.add(row["id"])
            state.touched_sessions.add(row["id"])
        repo.insert_many(conn, "session", new)
        report.add("session", len(new), len(rows) - len(new))

    def _load_change(
        self, conn: Connection, rows: list[dict[str, Any]], state: _State, report: ImportReport, run_id: str
    ) -> None:
        new = [
            r for r in rows if r["session_id"] in state.loaded_sessions
        ]  # a session's history comes with it
        for row in new:
            row.pop("id", None)
            row["from_project_id"] = state.project(row["from_project_id"])
            row["to_project_id"] = state.project(row["to_project_id"])
        repo.insert_many(conn, "change", new)
        report.add("change", len(new), len(rows) - len(new))

    def _load_context(
        self, conn: Connection, rows: list[dict[str, Any]], state: _State, report: ImportReport, run_id: str
    ) -> None:
        existing = repo.existing_ids(conn, "context", [r["id"] for r in rows])
        new = [r for r in rows if r["id"] not in existing]
        for row in new:
            row["project_id"] = state.project(row["project_id"])
        held = repo.live_keys(
            conn,
            [
                (r["project_id"], r["topic_key"])
                for r in new
                if r.get("topic_key") and not r.get("deleted_at")
            ],
        )
        for row in new:
            if (row["project_id"], row.get("topic_key")) in held:
                row["topic_key"] = None  # the key stays with the context already here
            if row.get("session_id") is not None:
                state.touched_sessions.add(row["session_id"])
            state.loaded_contexts.add(row["id"])
        repo.insert_many(conn, "context", new)
        report.add("context", len(new), len(rows) - len(new))

    def _load_revision(
        self, conn: Connection, rows: list[dict[str, Any]], state: _State, report: ImportReport, run_id: str
    ) -> None:
        inserted = 0
        for row in rows:
            if row["context_id"] in state.loaded_contexts:
                row.pop("id", None)
                inserted += repo.insert_revision(conn, row)
        report.add("revision", inserted, len(rows) - inserted)

    def _load_event(
        self, conn: Connection, rows: list[dict[str, Any]], state: _State, report: ImportReport, run_id: str
    ) -> None:
        loose = {_ledger_key(r): r for r in rows if r.get("session_id") is None}
        seen = set(ledger.already_imported(conn, LEDGER_KIND, list(loose)))
        native = repo.event_signatures(
            conn, [r["id"] for r in loose.values() if isinstance(r.get("id"), int)]
        )
        for key, r in loose.items():  # exported from this very database: already here
            number = r.get("id")
            mine = native.get(number) if isinstance(number, int) else None
            if mine == (r["occurred_at"], r["event_type"], r["actor"], r["project_id"]):
                seen.add(key)
        new = [r for r in rows if r.get("session_id") in state.loaded_sessions]
        new += [r for key, r in loose.items() if key not in seen]
        referenced = [r["context_id"] for r in new if r.get("context_id") is not None]
        present = repo.existing_ids(conn, "context", referenced) | (state.loaded_contexts & set(referenced))
        for row in new:
            row.pop("id", None)
            row["project_id"] = state.project(row["project_id"])
            if row.get("context_id") is not None and row["context_id"] not in present:
                row["context_id"] = None  # the context was not exported with it
        repo.insert_many(conn, "event", new)
        ledger.record_imported(
            conn,
            LEDGER_KIND,
            [(key, "event") for key in loose if key not in seen],
            run_id=run_id,
            now=self.clock(),
        )
        report.add("event", len(new), len(rows) - len(new))


def _ledger_key(row: dict[str, Any]) -> str:
    """The identity of a session-less event across imports: its exported number and content."""
    content = canonical("event", {k: str(v) for k, v in row.items()})
    return f"{row.get('id')}:{hashlib.sha256(content.encode()).hexdigest()[:40]}"


@dataclass
class _State:
    projects: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    loaded_sessions: set[uuid.UUID] = field(default_factory=set)
    touched_sessions: set[uuid.UUID] = field(default_factory=set)
    loaded_contexts: set[uuid.UUID] = field(default_factory=set)
    highest: dict[int, int] = field(default_factory=dict)

    def project(self, project_id: uuid.UUID) -> uuid.UUID:
        """The local id of an exported project (itself unless merged onto a same-named one)."""
        return self.projects.get(project_id, project_id)

    def note_display_id(self, display_id: str) -> None:
        """Remember the highest session number kept per year, so new sessions continue after it."""
        found = _DISPLAY.match(display_id)
        if found:
            year, number = int(found.group(1)), int(found.group(2))
            self.highest[year] = max(self.highest.get(year, 0), number)
