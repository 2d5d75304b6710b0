"""Changing an agent's configuration file safely: keep every unrelated entry, back up, show the diff.

Invariants: a file is written only when its content changes (running setup twice changes nothing
the second time); the previous content is copied next to it first — one backup per file,
`<name>.aidis-backup`, the state before AIDIS last changed it (older timestamped ones are cleared); a
file an uninstall leaves holding nothing is removed with its backup (setup created it, or it held only
AIDIS's entries); a file that cannot be parsed is never overwritten (the user's configuration comes
first).
"""

from __future__ import annotations

import difflib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aidis.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class FileChange:
    """One configuration file before and after."""

    path: Path
    before: str
    after: str
    remove: bool = False  # nothing is left in it: the file goes

    @property
    def changed(self) -> bool:
        """True when writing would change the file."""
        return self.before != self.after or (self.remove and self.path.exists())

    @property
    def backup_path(self) -> Path:
        """Where the file's one backup is kept."""
        return self.path.with_name(f"{self.path.name}.aidis-backup")

    def diff(self) -> str:
        """A unified diff of the change ('' when nothing changes)."""
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=f"{self.path} (before)",
                tofile=f"{self.path} ({'removed' if self.remove else 'after'})",
            )
        )

    def write(self) -> Path | None:
        """Back up the old file (if any), write the new content or remove the file; returns the
        backup's path (None when there is none: a new file, or a removed one)."""
        if not self.changed:
            return None
        for stale in self.path.parent.glob(f"{self.path.name}.aidis-backup-*"):
            stale.unlink()  # the timestamped backups of earlier versions: one backup per file now
        if self.remove:
            self.path.unlink(missing_ok=True)
            self.backup_path.unlink(missing_ok=True)
            return None
        backup = None
        if self.path.exists():
            backup = self.backup_path
            shutil.copy2(self.path, backup)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(self.after)
        return backup


def read_text(path: Path) -> str:
    """The file's text, or '' when it does not exist yet."""
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


def load_json(path: Path, text: str) -> dict[str, Any]:
    """A JSON object from `text` ('' is an empty object); refuses anything else without touching it."""
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(
            f"{path} is not valid JSON ({exc}); fix it first, nothing was changed", field="config"
        ) from exc
    if not isinstance(data, dict):
        raise InvalidInput(f"{path} does not hold a JSON object; nothing was changed", field="config")
    return data


def dump_json(data: dict[str, Any]) -> str:
    """JSON the way these agents write it (two-space indent, trailing newline)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
