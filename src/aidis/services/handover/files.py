"""Prepared hand-overs: each project's start context kept in a file the hook fast path reads with the
standard library alone, so `SessionStart` answers without loading the application.

Files, under `<data dir>/handover/` (read by aidis.hooks.handover):
- `<project id>.json` — {"project_id", "text", "generated_at"}: what a new session of the project is told;
- `<project id>.stale` — touched when a change of the project has committed and the file is not yet
  rewritten (the fast path never prints a stale file without waiting or falling back);
- `index.json` — {"paths": {folder: project id}}: the folders sessions were attributed from (and the
  projects' root directories), so the fast path can name the project of a working directory.

Invariants: a change is announced only after it committed (aidis.services.base); the stale marker is
touched at once, the file rewritten soon after on a worker thread (a burst of changes is one rewrite),
and the marker removed only when no change came in while rendering; under a steady stream of changes a
project is rendered at most every MIN_RENDER_SECONDS (each render reads the database: rendering after
every 50 ms burst cost a loaded server a tenth of its time); the Unassigned project never gets a
file (it holds every project's leftovers); a change of which folder belongs to which project clears the
index, a bulk job clears everything — the fast path then takes the full path once, which prepares the
files again. Writes are atomic (a temporary file renamed over the old one).
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from aidis.enums import SENTINEL_PROJECT_ID

log = logging.getLogger("aidis.handover")

INDEX = "index.json"
DEBOUNCE_SECONDS = 0.05  # a change's file is rewritten this soon after it, when the project was quiet
MIN_RENDER_SECONDS = 0.5  # and no sooner than this after the project's previous rewrite began
MAX_INDEX_PATHS = 5000


class HandoverFiles:
    """Keeps the prepared hand-overs current (the app's change feed, see aidis.services.base)."""

    def __init__(
        self, folder: Path, render: Callable[[uuid.UUID], str], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.folder = folder
        self.render = render
        self.clock = clock  # when rewrites may happen (monotonic seconds; tests drive their own)
        self._queue: queue.SimpleQueue[uuid.UUID | None] = queue.SimpleQueue()
        self._idle = threading.Event()
        self._idle.set()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._rendered_at: dict[uuid.UUID, float] = {}  # project → when its last rewrite began (monotonic)
        self._folder_made = False

    # ---- the change feed ---------------------------------------------------------------------

    def project_changed(self, project_id: uuid.UUID) -> None:
        """Mark the project's hand-over stale now; rewrite it soon."""
        if project_id == SENTINEL_PROJECT_ID:
            return
        self._touch(self._stale(project_id))
        self._idle.clear()
        self._queue.put(project_id)
        self._ensure_worker()

    def workspaces_changed(self) -> None:
        """Forget which folder is which project's (the full path learns it again)."""
        self._write_json(self.folder / INDEX, {"paths": {}})

    def everything_changed(self) -> None:
        """Forget every prepared hand-over and the folder index."""
        for path in self._files():
            self._touch(path.with_suffix(".stale"))
        self.workspaces_changed()

    # ---- used by the full path (the replayer) ------------------------------------------------

    def write_now(self, project_id: uuid.UUID) -> None:
        """Render and write one project's hand-over in this thread (the full path, and the worker)."""
        if project_id == SENTINEL_PROJECT_ID:
            return
        started = time.time()
        text = self.render(project_id)
        self._write_json(
            self.folder / f"{project_id}.json",
            {"project_id": str(project_id), "text": text, "generated_at": started},
        )
        stale = self._stale(project_id)
        try:
            if stale.stat().st_mtime <= started:  # no change came in while rendering
                stale.unlink()
        except FileNotFoundError:
            pass

    def folders_attributed(self, folders: list[str], project_id: uuid.UUID) -> None:
        """The change feed's word for `remember_folders`."""
        self.remember_folders(folders, project_id)

    def remember_folders(self, folders: Iterable[str], project_id: uuid.UUID) -> None:
        """Note that these folders are `project_id`'s (a session was attributed from them)."""
        if project_id == SENTINEL_PROJECT_ID:
            return
        wanted = {str(f): str(project_id) for f in folders if f and f != "/"}
        if not wanted:
            return
        with self._lock:
            index = self._read_index()
            if all(index.get(k) == v for k, v in wanted.items()):
                return
            index.update(wanted)
            if len(index) > MAX_INDEX_PATHS:  # bounded: the oldest entries go first
                index = dict(list(index.items())[-MAX_INDEX_PATHS:])
            self._write_json(self.folder / INDEX, {"paths": index})

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every announced change is written (a short-lived process calls this at exit)."""
        return self._idle.wait(timeout)

    # ---- internals ---------------------------------------------------------------------------

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="aidis-handover", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            pending = {first}
            deadline = max(
                self.clock() + DEBOUNCE_SECONDS,
                self._rendered_at.get(first, -MIN_RENDER_SECONDS) + MIN_RENDER_SECONDS,
            )
            while (left := deadline - self.clock()) > 0:
                try:
                    more = self._queue.get(timeout=left)
                except queue.Empty:
                    break
                if more is not None:
                    pending.add(more)
            for project_id in pending:
                self._rendered_at[project_id] = self.clock()
                try:
                    self.write_now(project_id)
                except Exception:
                    log.exception("could not prepare the hand-over of project %s", project_id)
            if self._queue.empty():
                self._idle.set()

    def _read_index(self) -> dict[str, str]:
        try:
            data = json.loads((self.folder / INDEX).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        paths = data.get("paths") if isinstance(data, dict) else None
        return {str(k): str(v) for k, v in paths.items()} if isinstance(paths, dict) else {}

    def _files(self) -> list[Path]:
        try:
            return [p for p in self.folder.glob("*.json") if p.name != INDEX]
        except OSError:
            return []

    def _stale(self, project_id: uuid.UUID) -> Path:
        return self.folder / f"{project_id}.stale"

    def _make_folder(self) -> None:
        """Create the folder once per process (and again if it was removed: see _touch)."""
        if not self._folder_made:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._folder_made = True

    def _touch(self, path: Path) -> None:
        try:
            self._make_folder()
            try:
                path.touch()  # creates it, or sets its time to now (a writer may remove it at any moment)
            except FileNotFoundError:  # the folder was removed while this process ran
                self._folder_made = False
                self._make_folder()
                path.touch()
        except OSError as exc:
            log.warning("could not mark %s stale: %s", path, exc.strerror or exc)

    def _write_json(self, path: Path, data: dict[str, object]) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            os.replace(temporary, path)
        except OSError as exc:
            log.warning("could not write %s: %s", path, exc.strerror or exc)
