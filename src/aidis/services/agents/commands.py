"""What a shell command did, read deterministically from the command and the excerpt of its output: the
files it plainly names (cat, rm, sed -i, a `>` redirect, cp, mv, touch, Codex's `apply_patch`), whether
it is a test run, and the pass/fail counts its test runner printed.

Invariant: a guess is never recorded. Only simple commands (split on `&&`, `||`, `;`, `|`) with a known
verb name files; anything with substitutions, globs or variables in a path is skipped; a test count is
read only from a runner's own summary line (pytest, Jest/Vitest, Go, Cargo, Mocha, RSpec, unittest).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from aidis.enums import ActivityKind

READERS = {"cat", "head", "tail", "less", "more", "bat", "wc", "nl"}
TEST_COMMANDS = re.compile(
    r"(^|[\s/])(pytest|py\.test|tox|nox|jest|vitest|mocha|rspec|phpunit|ctest)(\s|$)"
    r"|python[0-9.]*\s+-m\s+(pytest|unittest)"
    r"|\b(npm|pnpm|yarn|bun)\s+(run\s+)?test\b|\bgo\s+test\b|\bcargo\s+test\b|\bmvn\b.*\btest\b"
    r"|\bgradlew?\b.*\btest\b|\bmake\s+(test|check)\b|\bdeno\s+test\b|\bdotnet\s+test\b"
)
SEPARATORS = re.compile(r"&&|\|\||;|\||\n")
PATCH_LINE = re.compile(r"^\*\*\* (Add|Update|Delete) File: (.+)$", re.MULTILINE)
UNSAFE = re.compile(r"[`$*?{}\[\]~]")
MAX_FILES = 50


@dataclass(frozen=True, slots=True)
class FileTouch:
    """A file a command names, and what the command did to it."""

    kind: ActivityKind
    path: str


@dataclass(frozen=True, slots=True)
class TestCounts:
    """Pass/fail counts a test runner printed (None when its output says nothing countable)."""

    passed: int | None
    failed: int | None


def is_test_run(command: str) -> bool:
    """Whether the command runs tests (by its runner, not by its output)."""
    return bool(TEST_COMMANDS.search(command))


def files_named(command: str) -> list[FileTouch]:
    """The files a simple command plainly names, in order (at most MAX_FILES)."""
    found: list[FileTouch] = []
    for match in PATCH_LINE.finditer(command):  # Codex edits files with `apply_patch <<'EOF' … EOF`
        verb, path = match.groups()
        kind = {"Add": ActivityKind.CREATE, "Update": ActivityKind.EDIT, "Delete": ActivityKind.DELETE}[verb]
        found.append(FileTouch(kind, path.strip()))
    if found:
        return found[:MAX_FILES]
    for part in SEPARATORS.split(command):
        found += _simple(part.strip())
    return found[:MAX_FILES]


def _simple(part: str) -> list[FileTouch]:
    redirect = re.search(r"(>>?)\s*([^\s>&|;]+)\s*$", part)
    touches: list[FileTouch] = []
    if redirect and not redirect.group(2).startswith("/dev/"):
        touches.append(
            FileTouch(
                ActivityKind.EDIT if redirect.group(1) == ">>" else ActivityKind.CREATE, redirect.group(2)
            )
        )
        part = part[: redirect.start()].strip()
    try:
        words = shlex.split(part)
    except ValueError:
        return touches
    if not words:
        return touches
    verb, args = words[0].rsplit("/", 1)[-1], [w for w in words[1:] if not w.startswith("-")]
    options = [w for w in words[1:] if w.startswith("-")]
    if verb in READERS:
        touches += [FileTouch(ActivityKind.READ, a) for a in args]
    elif verb == "rm":
        touches += [FileTouch(ActivityKind.DELETE, a) for a in args]
    elif verb == "touch":
        touches += [FileTouch(ActivityKind.CREATE, a) for a in args]
    elif verb == "sed" and any(o.startswith("-i") for o in options) and len(args) >= 2:
        touches += [FileTouch(ActivityKind.EDIT, a) for a in args[1:]]
    elif verb in ("cp", "mv") and len(args) == 2:
        if verb == "mv":
            touches.append(FileTouch(ActivityKind.DELETE, args[0]))
        touches.append(FileTouch(ActivityKind.CREATE, args[1]))
    elif verb == "tee":
        touches += [FileTouch(ActivityKind.EDIT if "-a" in options else ActivityKind.CREATE, a) for a in args]
    return [t for t in touches if t.path and not UNSAFE.search(t.path)]


COUNTS = (
    # pytest: "1 failed, 1 passed in 0.02s" / "3 passed in 0.10s"
    (re.compile(r"(?:(\d+) failed,? ?)?(?:(\d+) passed)?[^\n]*?(?:, \d+ \w+)* in [\d.]+s"), "failed_passed"),
    # Jest / Vitest: "Tests:       1 failed, 4 passed, 5 total" / "Tests  2 failed | 8 passed (10)"
    (re.compile(r"Tests:?\s+(?:(\d+) failed[,| ]*)?(?:(\d+) passed)"), "failed_passed"),
    # Cargo: "test result: FAILED. 3 passed; 1 failed;"
    (re.compile(r"test result: \w+\. (\d+) passed; (\d+) failed"), "passed_failed"),
    # Mocha: "  4 passing" … "  1 failing"
    (re.compile(r"(\d+) passing(?:.*?\n\s*(\d+) failing)?", re.S), "passed_failed"),
    # RSpec: "5 examples, 1 failure"
    (re.compile(r"(\d+) examples?, (\d+) failures?"), "total_failed"),
    # unittest: "Ran 5 tests in 0.001s" + "FAILED (failures=1)" / "OK"
    (re.compile(r"Ran (\d+) tests? in [\d.]+s\s+(?:OK|FAILED \((?:failures|errors)=(\d+))"), "total_failed"),
)


def test_counts(output: str) -> TestCounts:
    """Pass/fail counts from a test runner's summary line in the output's excerpt (the last one)."""
    for pattern, order in COUNTS:
        matches = [m for m in pattern.finditer(output) if any(m.groups())]
        if not matches:
            continue
        first, second = (int(g) if g else 0 for g in matches[-1].groups())
        if order == "failed_passed":
            return TestCounts(passed=second, failed=first)
        if order == "passed_failed":
            return TestCounts(passed=first, failed=second)
        return TestCounts(passed=first - second, failed=second)
    go = re.findall(r"^(ok|FAIL)\s+\S+", output, re.MULTILINE)
    if go:
        return TestCounts(passed=go.count("ok"), failed=go.count("FAIL"))
    return TestCounts(None, None)
