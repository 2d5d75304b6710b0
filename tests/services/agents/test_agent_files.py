"""Files an agent names are read safely: only regular files, bounded, and never inside a transaction.

A FIFO as `transcript_path` once froze every writer (SQLite's write lock held while `open()` blocked);
these tests fail if a read blocks, follows a symlink, reads without bound, or runs while the event's
transaction is open."""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from aidis.app import AppContext
from aidis.services.agents import agent_files, transcripts
from aidis.services.agents.agent_files import read_regular_file
from tests.support import Database


def stop_event(sid: str, transcript: Path | str) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex,
        "agent": "claude-code",
        "received_at": None,
        "payload": {"hook_event_name": "Stop", "session_id": sid, "transcript_path": str(transcript)},
    }


def test_a_fifo_transcript_is_refused_without_blocking_and_others_keep_writing(
    app: AppContext, db: Database, tmp_path: Path
) -> None:
    fifo = tmp_path / "transcript.fifo"
    os.mkfifo(fifo)
    app.hooks.apply(
        {
            **stop_event("cc-fifo", tmp_path),
            "payload": {"hook_event_name": "SessionStart", "session_id": "cc-fifo", "source": "startup"},
        }
    )
    done = threading.Event()
    outcome: list[Any] = []

    def apply() -> None:
        outcome.append(app.hooks.apply(stop_event("cc-fifo", fifo)))
        done.set()

    worker = threading.Thread(target=apply, daemon=True)
    worker.start()
    assert done.wait(timeout=20), "applying an event whose transcript is a FIFO blocked"
    assert outcome[0].outcome == "usage read"
    app.projects.create("written-after")  # the database is free for everyone else
    session = app.sessions.status("claude-code:cc-fifo")
    assert session is not None and session.metadata.get("tokens") != "exact"


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    regular = tmp_path / "t.jsonl"
    regular.write_bytes(b"line\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(regular)
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    got = read_regular_file(str(regular), 0, 100)
    assert got is not None and got.data == b"line\n" and got.size == 5
    assert read_regular_file(str(link), 0, 100) is None  # a symlink as the last component
    assert read_regular_file(str(fifo), 0, 100) is None
    assert read_regular_file(str(tmp_path), 0, 100) is None  # a directory
    assert read_regular_file("/dev/zero", 0, 100) is None  # a device that never ends
    assert read_regular_file(str(tmp_path / "missing"), 0, 100) is None


def test_a_huge_transcript_is_read_in_bounded_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    huge = tmp_path / "huge.jsonl"
    with huge.open("wb") as handle:
        handle.truncate(3 * 1024 * 1024 * 1024)  # 3 GB, sparse
    monkeypatch.setattr(transcripts, "MAX_READ_BYTES", 4 * 1024 * 1024)
    state = transcripts.read_usage(str(huge), transcripts.UsageState())
    assert state.offset == 0 and state.models == {}  # no complete line in the first bounded step
    got = read_regular_file(str(huge), 0, 1000)
    assert got is not None and len(got.data) == 1000


def test_transcripts_are_read_with_no_transaction_open(
    app: AppContext, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transcript = tmp_path / "t.jsonl"
    transcript.write_text(
        '{"type": "assistant", "requestId": "r", "message": {"id": "m", "model": "x", '
        '"usage": {"input_tokens": 3, "output_tokens": 2}}}\n'
    )
    app.hooks.apply(
        {
            **stop_event("cc-tx", transcript),
            "payload": {"hook_event_name": "SessionStart", "session_id": "cc-tx", "source": "startup"},
        }
    )
    seen: list[int] = []
    real = agent_files.read_regular_file

    def spying(path: str, offset: int, limit: int, **kwargs: Any) -> Any:
        seen.append(open_transactions(db))
        return real(path, offset, limit, **kwargs)

    monkeypatch.setattr(transcripts, "read_regular_file", spying)
    app.hooks.apply(stop_event("cc-tx", transcript))
    assert seen == [0]
    session = app.sessions.status("claude-code:cc-tx")
    assert session is not None and session.metadata.get("tokens") == "exact"
    assert (session.input_tokens, session.output_tokens) == (3, 2)


def open_transactions(db: Database) -> int:
    """Write transactions open elsewhere: SQLite's write lock held, or PostgreSQL backends in a transaction."""
    if db.engine_name == "sqlite":
        import sqlite3

        probe = sqlite3.connect(db.url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return 0
        except sqlite3.OperationalError:
            return 1
        finally:
            probe.close()
    with db.engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND state LIKE '%in transaction%'"
                )
            ).scalar_one()
        )
