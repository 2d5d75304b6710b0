"""The embedder: a stored context gets its vector in the background soon after, an edited one a new
vector, a purged one none; nothing is lost when the queue overflows or the model changes; one thread
per process; a model that cannot load is reported, not retried; processes sharing a data folder take
turns to sweep."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from aidis.app import AppContext, build_app
from aidis.config import Settings
from aidis.db.schema import context_vectors
from aidis.services.caller import Caller
from aidis.services.search import embedder as embedder_module
from tests.support import Database, FakeClock

AGENT = Caller("embedder-test")


def _vectors(app: AppContext) -> dict[str, str]:
    """context id → model of its vector."""
    with app.engine.connect() as conn:
        rows = conn.execute(select(context_vectors.c.context_id, context_vectors.c.model)).all()
    return {str(row.context_id): row.model for row in rows}


def test_a_stored_context_is_embedded_in_the_background(app: AppContext) -> None:
    stored = app.contexts.store(AGENT, "we retry card captures with idempotency keys")
    assert app.embedder.wait_idle(30)
    assert _vectors(app) == {str(stored.context.id): "all-MiniLM-L6-v2/int8"}
    status = app.embedder.status()
    assert (status.embedded, status.missing) == (1, 0)


def test_an_edit_replaces_the_vector_and_a_purge_removes_it(app: AppContext) -> None:
    stored = app.contexts.store(AGENT, "the first text")
    assert app.embedder.wait_idle(30)
    with app.engine.connect() as conn:
        first = conn.execute(select(context_vectors.c.id)).scalar_one()
    app.context_edits.update(AGENT, stored.context.id, content="a different text")
    assert app.embedder.wait_idle(30)
    with app.engine.connect() as conn:
        second = conn.execute(select(context_vectors.c.id)).scalar_one()
    assert second > first  # a new row: every process's index reads it as new
    app.context_edits.delete(AGENT, stored.context.id, purge=True)
    assert app.embedder.wait_idle(30)
    assert _vectors(app) == {}


def test_an_overflowing_queue_loses_nothing(app: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedder_module, "QUEUE_SIZE", 2)
    small = build_app(app.settings, migrate=False, clock=app.clock)
    try:
        ids = [small.contexts.store(AGENT, f"note number {n} about queues").context.id for n in range(12)]
        assert small.embedder.wait_idle(60)
        assert set(_vectors(small)) == {str(i) for i in ids}
    finally:
        small.close()


def test_contexts_stored_while_no_embedder_ran_are_swept_up(
    db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, database_url=db.url)
    quiet = build_app(settings, migrate=False, clock=clock, background_embedding=False)
    try:
        ids = [quiet.contexts.store(AGENT, f"stored by the replayer {n}").context.id for n in range(3)]
        assert _vectors(quiet) == {} and quiet.embedder.status().missing == 3
    finally:
        quiet.close()
    later = build_app(settings, migrate=False, clock=clock)
    try:
        later.embedder.start()
        assert later.embedder.wait_idle(60)
        assert set(_vectors(later)) == {str(i) for i in ids}
    finally:
        later.close()


def test_a_new_model_re_embeds_everything_in_the_background(
    db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    first = build_app(
        Settings(data_dir=tmp_path, database_url=db.url, embedding_model="wordllama:64"), clock=clock
    )
    try:
        ids = {str(first.contexts.store(AGENT, f"text {n}").context.id) for n in range(3)}
        assert first.embedder.wait_idle(30)
        assert set(_vectors(first).values()) == {"wordllama/l2_supercat@64"}
    finally:
        first.close()
    second = build_app(Settings(data_dir=tmp_path, database_url=db.url), clock=clock)
    try:
        assert second.embedder.status().other_models == {"wordllama/l2_supercat@64": 3}
        second.embedder.start()
        assert second.embedder.wait_idle(60)
        assert _vectors(second) == dict.fromkeys(ids, "all-MiniLM-L6-v2/int8")
        assert second.embedder.status().other_models == {}
    finally:
        second.close()


def test_one_thread_per_process_however_many_stores(app: AppContext) -> None:
    for n in range(30):
        app.contexts.store(AGENT, f"a note {n}")
    assert app.embedder.wait_idle(60)
    assert [t.name for t in threading.enumerate()].count("aidis-embedder") == 1


def test_a_model_that_fails_to_load_is_reported_once_and_not_retried(
    app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def broken(spec: str, cache: object = None) -> object:
        calls.append(spec)
        raise OSError("weights file is corrupt")

    monkeypatch.setattr("aidis.services.search.models.load_model", broken)
    fresh = build_app(app.settings, migrate=False, clock=app.clock)
    try:
        fresh.contexts.store(AGENT, "a note")
        assert fresh.embedder.wait_idle(30)
        fresh.contexts.store(AGENT, "another note")
        assert fresh.embedder.failure is not None and "failed to load" in fresh.embedder.failure
        assert calls == ["minilm"]
        with fresh.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(context_vectors)).scalar_one() == 0
    finally:
        fresh.close()


def test_the_index_loads_every_vector_a_page_at_a_time_into_arrays_of_that_size(
    app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedder_module, "LOAD_PAGE_ROWS", 3)
    ids = [app.contexts.store(AGENT, f"paged note {n} about retries").context.id for n in range(8)]
    assert app.embedder.wait_idle(60)
    pages: list[int] = []
    read_new = embedder_module.vectors_repo.read_new

    def counting(*args: object, **kwargs: object) -> object:
        rows = read_new(*args, **kwargs)  # type: ignore[arg-type]
        pages.append(len(rows))
        return rows

    monkeypatch.setattr(embedder_module.vectors_repo, "read_new", counting)
    with app.embedder.reading() as conn:
        index = app.embedder.index(conn)
    assert pages == [3, 3, 2]  # no statement read more than a page
    assert index.size == index.capacity == 8  # sized by the count, never grown by doubling
    query = app.embedder.model().embed(["paged note 5 about retries"])[0]
    found = index.nearest(query, project_ids=None, k=8, min_similarity=-1.0)
    assert {n.id for n in found} == set(ids)


def test_many_new_vectors_are_read_in_pages_and_made_room_for_at_once(
    app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedder_module, "LOAD_PAGE_ROWS", 4)
    app.contexts.store(AGENT, "the first note about caching")
    assert app.embedder.wait_idle(60)
    with app.embedder.reading() as conn:
        assert app.embedder.index(conn).size == 1
    ids = {app.contexts.store(AGENT, f"later note {n} on queues").context.id for n in range(9)}
    assert app.embedder.wait_idle(60)
    with app.embedder.reading() as conn:
        index = app.embedder.index(conn)  # not due for a full load: reads what is new
    assert index.size == index.capacity == 10  # one allocation for the nine, none left over
    query = app.embedder.model().embed(["later note on queues"])[0]
    assert ids <= {n.id for n in index.nearest(query, project_ids=None, k=10, min_similarity=-1.0)}


def test_a_background_sweep_waits_its_turn_while_another_process_sweeps_but_a_backfill_does_not(
    db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    quiet = build_app(
        Settings(data_dir=tmp_path, database_url=db.url), clock=clock, background_embedding=False
    )
    try:
        for n in range(3):
            quiet.contexts.store(AGENT, f"a note nobody embedded yet {n}")
    finally:
        quiet.close()
    app = build_app(Settings(data_dir=tmp_path, database_url=db.url), clock=clock)
    try:
        lock = app.embedder.sweep_lock
        assert lock is not None and lock.parent == tmp_path
        lock.touch()
        other = os.open(lock, os.O_RDWR)  # another process (a server, an agent's aidis mcp) is sweeping
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            assert app.embedder.sweep() == 0
            assert app.embedder.status().missing == 3
        finally:
            os.close(other)
        assert app.embedder.sweep() == 3  # its turn now
        held = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            app.contexts.store(AGENT, "one more note")
            assert app.embedder.backfill(lambda _n: None) >= 0  # asked for: never waits for a turn
            assert app.embedder.status().missing == 0
        finally:
            os.close(held)
    finally:
        app.close()


def test_a_process_that_closes_while_the_model_is_busy_exits_cleanly(db: Database, tmp_path: Path) -> None:
    """onnxruntime aborts a process (exit status 134) that exits while another thread runs the model:
    closing the app waits for the pass in progress."""
    script = f"""
from pathlib import Path
from aidis.app import build_app
from aidis.config import Settings
from aidis.services.caller import Caller
app = build_app(Settings(data_dir=Path({str(tmp_path)!r}), database_url={db.url!r}))
for n in range(40):
    app.contexts.store(Caller("busy"), f"note {{n}}: " + "a long line about retries and queues " * 40)
app.embedder.settle(0.2)  # the thread is embedding now
app.close()
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "terminate called" not in done.stderr
