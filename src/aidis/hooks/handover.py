"""The prepared hand-over, read by `SessionStart`'s fast path with the standard library alone (written by
aidis.services.handover.files).

Invariants: the text printed is the project's own — the project is the nearest folder above the
working directory that a session of that project was attributed from (the same nearest-first rule as
the workspace resolver; a folder never seen is not guessed: the full path answers); a hand-over whose
project has a newer committed change (its `.stale` marker) is waited for briefly and otherwise not
used; nothing here writes anything.
"""

from __future__ import annotations

import os
import time

from aidis.hooks import fastjson as json

STALE_WAIT_SECONDS = 0.3
POLL_SECONDS = 0.02


def handover_dir(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """`$AIDIS_DATA_DIR/handover` (the data directory's default as the settings have it)."""
    data = environ.get("AIDIS_DATA_DIR") or os.path.join(os.path.expanduser("~"), ".local", "share", "aidis")
    return os.path.join(data, "handover")


def project_of(folder: str, cwd: str) -> str | None:
    """The project id of the nearest indexed folder at or above `cwd`, or None."""
    index = _read(os.path.join(folder, "index.json"))
    paths = index.get("paths") if index is not None else None
    if not isinstance(paths, dict):
        return None
    current = os.path.normpath(os.path.realpath(cwd)) if cwd else ""
    while current and current != os.path.dirname(current):
        found = paths.get(current)
        if isinstance(found, str):
            return found
        current = os.path.dirname(current)
    return None


def prepared_text(cwd: str, *, wait: float = STALE_WAIT_SECONDS) -> str | None:
    """The prepared start context for a session in `cwd`: its text ("" when the project has nothing to
    say yet), or None when there is no current one (then the full path answers)."""
    folder = handover_dir()
    project = project_of(folder, cwd)
    if project is None:
        return None
    path = os.path.join(folder, f"{project}.json")
    stale = os.path.join(folder, f"{project}.stale")
    deadline = time.monotonic() + wait
    while True:
        data = _read(path)
        if data is None or data.get("project_id") != project:
            return None
        generated = data.get("generated_at")
        try:
            changed = os.stat(stale).st_mtime
        except OSError:
            changed = None
        if changed is None or (isinstance(generated, (int, float)) and changed < generated):
            break  # no change committed since this text was rendered
        if time.monotonic() > deadline:
            return None  # a change is not in the prepared text yet
        time.sleep(POLL_SECONDS)
    text = data.get("text")
    return text if isinstance(text, str) else None


def _read(path: str) -> dict[str, object] | None:
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
