"""Exporting memory: everything in a scope as JSON lines (for another AIDIS) or Markdown (for people).

Invariants: an export is self-contained (see `repositories.exchange`) and ends with its row counts
and a content digest that does not depend on the engine or on database-numbered ids, so two
databases holding the same memory give the same digest; no file or folder named after a project or
a session can land outside the output directory, whatever the name holds (`../etc`, `/`, NUL).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from aidis import __version__
from aidis.errors import InvalidInput
from aidis.repositories import exchange as repo
from aidis.repositories.exchange import ExportScope
from aidis.services.base import ServiceBase
from aidis.services.principal import require_server_admin
from aidis.services.projects.catalog import find_project

FORMAT = "aidis-export"
VERSION = 1
Progress = Callable[[str, int], None]  # (kind, rows done in this step)


@dataclass(frozen=True, slots=True)
class ExportReport:
    """What an export wrote."""

    counts: dict[str, int]
    digest: str
    files: int = 1


def canonical(kind: str, row: dict[str, Any]) -> str:
    """A record as the digest sees it: sorted keys, without the database's own row numbers."""
    kept = {k: v for k, v in row.items() if not (k == "id" and kind in repo.NUMBERED)}
    return kind + " " + json.dumps(kept, sort_keys=True, ensure_ascii=False, default=str)


class Digest:
    """An order-independent hash of exported records (sum of per-record hashes, kept per kind)."""

    def __init__(self) -> None:
        self.sums: dict[str, int] = {}

    def add(self, kind: str, row: dict[str, Any]) -> None:
        """Count one record in."""
        value = int.from_bytes(hashlib.sha256(canonical(kind, row).encode()).digest()[:16], "big")
        self.sums[kind] = (self.sums.get(kind, 0) + value) % (1 << 128)

    def hexdigest(self) -> str:
        """The digest of everything added."""
        text = ",".join(f"{kind}:{self.sums[kind]:032x}" for kind in sorted(self.sums))
        return hashlib.sha256(text.encode()).hexdigest()


class Tally:
    """The row counts, the digest and the progress of the records an export writes."""

    def __init__(self, progress: Progress | None = None) -> None:
        self.counts: dict[str, int] = {}
        self.digest = Digest()
        self.progress = progress

    def add(self, kind: str, row: dict[str, Any]) -> None:
        """Count one record."""
        self.digest.add(kind, row)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if self.progress is not None:
            self.progress(kind, 1)

    def report(self, files: int = 1) -> ExportReport:
        """What was written."""
        return ExportReport(self.counts, self.digest.hexdigest(), files)


def safe_name(name: str, fallback: str) -> str:
    """A file or folder name made from any text: letters, digits, dot, dash and underscore only,
    never empty, never `.` or `..`, at most 80 characters."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-_")[:80]
    return cleaned or fallback


def inside(root: Path, *parts: str) -> Path:
    """`root/parts…`, refused unless it resolves inside `root`."""
    base = root.resolve()
    target = base.joinpath(*parts).resolve()
    if target != base and base not in target.parents:
        raise InvalidInput(f"{target} is outside the output directory {base}", field="output")
    return target


class ExportService(ServiceBase):
    """Write a scope's memory as JSON lines or Markdown."""

    def scope(self, project: str | None = None, since: datetime | None = None) -> ExportScope:
        """The scope of one project (by name or id) or of all, from a start time."""
        require_server_admin("export")
        if project is None:
            return ExportScope(since=since)
        with self.reading() as conn:
            return ExportScope(project_ids=[find_project(conn, project).id], since=since)

    def counts(self, scope: ExportScope) -> dict[str, int]:
        """How many rows of each kind an export of `scope` will hold."""
        with self.reading() as conn:
            return repo.count_rows(conn, scope)

    def records(self, scope: ExportScope) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every exported record, kind by kind in import order, from one consistent read."""
        with self.reading(transaction=True) as conn:  # PostgreSQL streams through a server-side cursor
            for kind, query in repo.selections(scope).items():
                for row in repo.stream(conn, query):
                    yield kind, row

    def write_jsonl(self, scope: ExportScope, out: IO[str], progress: Progress | None = None) -> ExportReport:
        """Write the scope as JSON lines: a header, one line per record, a summary with counts and digest."""
        header = {"kind": "meta", "format": FORMAT, "version": VERSION, "aidis": __version__}
        header["exported_at"] = self.clock().isoformat()
        header["scope"] = {
            "project_ids": [str(i) for i in scope.project_ids] if scope.project_ids is not None else None,
            "since": scope.since.isoformat() if scope.since else None,
        }
        out.write(json.dumps(header) + "\n")
        tally = Tally(progress)
        for kind, row in self._tallied(scope, tally):
            out.write(json.dumps({"kind": kind, "row": row}, ensure_ascii=False, default=str) + "\n")
        summary = tally.report()
        out.write(json.dumps({"kind": "end", "counts": summary.counts, "digest": summary.digest}) + "\n")
        return summary

    def _tallied(self, scope: ExportScope, tally: Tally) -> Iterator[tuple[str, dict[str, Any]]]:
        """The scope's records, each counted into `tally` as it passes."""
        for kind, row in self.records(scope):
            tally.add(kind, row)
            yield kind, row

    def write_markdown(
        self, scope: ExportScope, root: Path, progress: Progress | None = None
    ) -> ExportReport:
        """Write one folder per project: README.md, one file per session, and contexts of no session."""
        root.mkdir(parents=True, exist_ok=True)
        projects: dict[str, dict[str, Any]] = {}
        folders: dict[str, Path] = {}
        sessions: dict[str, dict[str, Any]] = {}
        session_contexts: dict[str, list[dict[str, Any]]] = {}
        loose: dict[str, list[dict[str, Any]]] = {}
        tally = Tally(progress)
        for kind, row in self._tallied(scope, tally):
            if kind == "project":
                projects[row["id"]] = row
            elif kind == "session":
                sessions[row["id"]] = row
            elif kind == "context" and not row.get("purged_at") and not row.get("deleted_at"):
                target = session_contexts if row.get("session_id") else loose
                target.setdefault(row.get("session_id") or row["project_id"], []).append(row)
        files = 0
        for project_id, project in [*projects.items(), (str(uuid.UUID(int=0)), {"name": "Unassigned"})]:
            folder = self._folder(root, folders, project_id, project["name"])
            owned = [s for s in sessions.values() if s["project_id"] == project_id]
            if not owned and project_id not in projects and project_id not in loose:
                continue
            folder.mkdir(parents=True, exist_ok=True)
            readme = [f"# {project['name']}", "", project.get("description") or ""]
            readme += [
                "",
                "## Sessions",
                *(
                    f"- [{s['display_id']}](sessions/{safe_name(s['display_id'], 'session')}.md) {s.get('title') or ''}"
                    for s in owned
                ),
            ]
            readme += ["", "## Contexts of no session", *(_context_md(c) for c in loose.get(project_id, []))]
            inside(folder, "README.md").write_text("\n".join(readme) + "\n", encoding="utf-8")
            files += 1
            for session in owned:
                path = inside(folder, "sessions", safe_name(session["display_id"], "session") + ".md")
                path.parent.mkdir(exist_ok=True)
                path.write_text(
                    _session_md(session, session_contexts.get(session["id"], [])), encoding="utf-8"
                )
                files += 1
        return tally.report(files)

    @staticmethod
    def _folder(root: Path, taken: dict[str, Path], project_id: str, name: str) -> Path:
        """A unique folder for a project under `root` (a clash gets the id's first characters)."""
        base = safe_name(name, "project")
        candidate = inside(root, base)
        if candidate in taken.values():
            candidate = inside(root, f"{base}-{project_id[:8]}")
        taken[project_id] = candidate
        return candidate


def _context_md(context: dict[str, Any]) -> str:
    tags = " ".join(f"`{t}`" for t in context.get("tags") or [])
    head = f"### {context['context_type']} · {context['created_at']}" + (f" · {tags}" if tags else "")
    return head + "\n\n" + str(context["content"]) + "\n"


def _session_md(session: dict[str, Any], contexts: Iterable[dict[str, Any]]) -> str:
    lines = [f"# {session['display_id']}: {session.get('title') or 'untitled'}", ""]
    for label, key in (
        ("Status", "status"),
        ("Started", "started_at"),
        ("Ended", "ended_at"),
        ("Goal", "goal"),
    ):
        if session.get(key):
            lines.append(f"- **{label}:** {session[key]}")
    summary = (session.get("metadata") or {}).get("summary")
    if isinstance(summary, dict):
        lines += ["", "## Summary", *(f"- **{k}:** {v}" for k, v in summary.items() if k != "updated_at")]
    lines += [
        "",
        "## Contexts",
        *(_context_md(c) for c in sorted(contexts, key=lambda c: str(c["created_at"]))),
    ]
    return "\n".join(lines) + "\n"
