"""A lock file gives one turn at a time, is free again when its block ends, never waits past the deadline,
and a file that cannot be opened raises unless the caller says what to do without it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from aidis.file_locks import turn


def test_one_turn_at_a_time_and_free_again_after(tmp_path: Path) -> None:
    lock = tmp_path / "deep" / "work.lock"
    with turn(lock) as first:
        with turn(lock) as second:  # a second open file description: another process, as far as flock goes
            assert (first, second) == (True, False)
        started = time.monotonic()
        with turn(lock, wait_until=started + 0.05) as waited:
            assert waited is False and time.monotonic() - started >= 0.05
    with turn(lock) as again:
        assert again is True


def test_a_lock_file_that_cannot_be_made_raises_unless_told_otherwise(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(OSError), turn(blocker / "work.lock"):
        pass
    with turn(blocker / "work.lock", unopenable=True) as mine:
        assert mine is True
