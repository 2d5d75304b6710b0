"""A session's activity, digested: the files it touched (as a tree), its commands and test runs with
counts, what was left failing, and one sentence saying it all ("edited 7 files under src/web; ran
pytest 3×, last run passed").

Invariant: a pure function of the activity rows — the same rows give the same digest on every surface
(dashboard, API, summary, hand-over); nothing here is guessed or asked of a model.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aidis.enums import ActivityKind
from aidis.records import ActivityRow

CHANGES = (ActivityKind.CREATE.value, ActivityKind.EDIT.value, ActivityKind.DELETE.value)
VERBS = {"create": "created", "edit": "edited", "delete": "deleted", "read": "read"}


@dataclass(frozen=True, slots=True)
class TestRun:
    """One test run."""

    command: str
    passed: int | None
    failed: int | None
    exit_code: int | None

    @property
    def ok(self) -> bool | None:
        """True when it passed, False when it failed, None when nobody said."""
        if self.failed is not None and self.failed > 0:
            return False
        if self.exit_code is not None:
            return self.exit_code == 0
        return None if self.passed is None else True


@dataclass
class ActivityDigest:
    """What a session did, for people and for the next session."""

    files: dict[str, list[str]] = field(default_factory=dict)  # path → kinds, in first-seen order
    commands: list[tuple[str, int | None]] = field(default_factory=list)
    tests: list[TestRun] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    overflow: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """True when the session recorded no activity."""
        return not (self.files or self.commands or self.tests or self.errors or self.overflow)

    def changed(self) -> list[str]:
        """Paths created, edited or deleted."""
        return [p for p, kinds in self.files.items() if any(k in CHANGES for k in kinds)]

    def counts(self) -> dict[str, int]:
        """How many distinct files per kind, commands, test runs and failures (overflow included)."""
        per_kind = Counter(kind for kinds in self.files.values() for kind in set(kinds))
        out = {VERBS[k]: n for k, n in per_kind.items()}
        out["commands"] = len(self.commands)
        out["test runs"] = len(self.tests)
        out["failures"] = len(self.errors)
        for kind, n in self.overflow.items():
            out[f"{kind} (not itemized)"] = n
        return {k: v for k, v in out.items() if v}

    def failing(self) -> list[str]:
        """What was left failing: the last run of each test command that failed, a last command that failed."""
        last: dict[str, TestRun] = {}
        for run in self.tests:
            last[run.command] = run
        out = [f"tests: {r.command} ({_counts(r)})" for r in last.values() if r.ok is False]
        if self.commands and self.commands[-1][1] not in (None, 0):
            out.append(f"command: {self.commands[-1][0]} (exit {self.commands[-1][1]})")
        return out

    def sentence(self) -> str:
        """One line: files changed (with their common folder), test runs and how the last went, failures."""
        parts = []
        for kind in ("edit", "create", "delete"):
            paths = [p for p, kinds in self.files.items() if kind in kinds]
            if paths:
                where = _common_folder(paths)
                noun = "file" if len(paths) == 1 else "files"
                parts.append(f"{VERBS[kind]} {len(paths)} {noun}" + (f" under {where}" if where else ""))
        runners = Counter(_runner(r.command) for r in self.tests)
        for runner, n in runners.items():
            last = [r for r in self.tests if _runner(r.command) == runner][-1]
            state = {True: "passed", False: "failed", None: "ended without a result"}[last.ok]
            parts.append(
                f"ran {runner} {n}×, last run {state}"
                + (f" ({_counts(last)})" if last.passed is not None or last.failed is not None else "")
            )
        plain = len(self.commands)
        if plain:
            parts.append(f"ran {plain} other command{'s' if plain != 1 else ''}")
        if self.errors:
            parts.append(f"{len(self.errors)} tool failure{'s' if len(self.errors) != 1 else ''}")
        return "; ".join(parts)

    def tree(self) -> dict[str, Any]:
        """The touched files as nested folders: {"src": {"web": {"app.py": ["edit"]}}}."""
        root: dict[str, Any] = {}
        for path, kinds in sorted(self.files.items()):
            node = root
            parts = [p for p in path.split("/") if p]
            for part in parts[:-1]:
                node = node.setdefault(part + "/", {})
            if parts:
                node[parts[-1]] = list(kinds)
        return root


def digest(rows: Sequence[ActivityRow], overflow: dict[str, int] | None = None) -> ActivityDigest:
    """The digest of a session's activity rows (oldest first)."""
    out = ActivityDigest(overflow=dict(overflow or {}))
    for row in rows:
        if row.path and row.kind in (*CHANGES, ActivityKind.READ.value):
            kinds = out.files.setdefault(row.path, [])
            if row.kind not in kinds:
                kinds.append(row.kind)
        elif row.kind == ActivityKind.TEST.value:
            out.tests.append(TestRun(row.command or "", row.tests_passed, row.tests_failed, row.exit_code))
        elif row.kind == ActivityKind.COMMAND.value:
            out.commands.append((row.command or "", row.exit_code))
        elif row.kind == ActivityKind.ERROR.value:
            out.errors.append(f"{row.tool_name or 'tool'}: {row.detail or 'failed'}")
    return out


def _counts(run: TestRun) -> str:
    parts = []
    if run.failed is not None:
        parts.append(f"{run.failed} failed")
    if run.passed is not None:
        parts.append(f"{run.passed} passed")
    if not parts and run.exit_code is not None:
        parts.append(f"exit {run.exit_code}")
    return ", ".join(parts)


def _runner(command: str) -> str:
    """The test runner's name in a command (`python -m pytest -q` → pytest)."""
    words = command.split()
    for i, word in enumerate(words):
        name = word.rsplit("/", 1)[-1]
        if name in ("-m",) and i + 1 < len(words):
            return words[i + 1]
        if name in ("pytest", "jest", "vitest", "mocha", "rspec", "tox", "nox", "phpunit"):
            return name
        if name in ("npm", "pnpm", "yarn", "bun", "go", "cargo", "make", "mvn", "gradle", "deno", "dotnet"):
            return f"{name} test" if name != "make" else " ".join(words[i : i + 2])
    return words[0].rsplit("/", 1)[-1] if words else "tests"


def _common_folder(paths: list[str]) -> str:
    folders = [posixpath.dirname(p) for p in paths]
    if any(not f or (posixpath.isabs(f) and f == "/") for f in folders):
        return ""
    common = posixpath.commonpath(folders) if len({posixpath.isabs(f) for f in folders}) == 1 else ""
    return "" if common in ("", ".", "/") else common
