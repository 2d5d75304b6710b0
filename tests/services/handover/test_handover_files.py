"""Prepared hand-over files under a steady stream of changes: the project is rendered at a bounded
rate, never left stale, and its last file holds the last change."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path

from aidis.services.handover.files import MIN_RENDER_SECONDS, HandoverFiles


class SteppingClock:
    """Monotonic seconds the test moves: the stream below is 2.5 render windows long whatever the
    machine's speed (the worker still waits on real time only while nothing arrives)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def test_a_stream_of_changes_is_rendered_at_a_bounded_rate_and_ends_current(tmp_path: Path) -> None:
    project = uuid.uuid4()
    renders: list[int] = []
    changes = [0]
    lock = threading.Lock()

    def render(_project: uuid.UUID) -> str:
        with lock:
            renders.append(changes[0])
            return f"state {changes[0]}"

    clock = SteppingClock()
    files = HandoverFiles(tmp_path / "handover", render, clock=clock)
    steps = 2500  # a change every millisecond for 2.5 windows
    for _ in range(steps):
        with lock:
            changes[0] += 1
        clock.advance(2.5 * MIN_RENDER_SECONDS / steps)
        files.project_changed(project)
    clock.advance(MIN_RENDER_SECONDS)  # the stream has ended: the last change may be written now
    files.project_changed(project)
    assert files.flush(10)
    allowed = 2.5 + 3  # one per window, the first, and the one after the stream ends
    assert 1 <= len(renders) <= allowed, renders
    written = json.loads((tmp_path / "handover" / f"{project}.json").read_text())
    assert written["text"] == f"state {changes[0]}"  # the last change is in the file
    assert not (tmp_path / "handover" / f"{project}.stale").exists()


def test_a_change_soon_after_a_rewrite_is_marked_stale_at_once_and_written_later(tmp_path: Path) -> None:
    project = uuid.uuid4()
    files = HandoverFiles(tmp_path / "handover", lambda _p: "fresh")
    files.project_changed(project)
    assert files.flush(10)
    (tmp_path / "handover").joinpath(f"{project}.json").unlink()
    files.project_changed(project)
    assert (tmp_path / "handover" / f"{project}.stale").exists()  # the rewrite waits its turn
    assert files.flush(10)
    assert json.loads((tmp_path / "handover" / f"{project}.json").read_text())["text"] == "fresh"


def test_a_removed_folder_is_made_again(tmp_path: Path) -> None:
    project = uuid.uuid4()
    files = HandoverFiles(tmp_path / "handover", lambda _p: "again")
    files.project_changed(project)
    assert files.flush(10)
    for path in (tmp_path / "handover").iterdir():
        path.unlink()
    (tmp_path / "handover").rmdir()
    files.project_changed(project)
    assert files.flush(10)
    assert json.loads((tmp_path / "handover" / f"{project}.json").read_text())["text"] == "again"
