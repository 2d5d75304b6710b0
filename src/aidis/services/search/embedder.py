"""The embedder: makes context vectors in the background, off every caller's path, in one thread.

Invariants: storing a context never waits for a model — its id is queued after the commit, and a
single daemon thread per process embeds queued ids in batches; nothing is lost when the queue is
full, the model is slow, or the process exits first, because the thread also sweeps for contexts
without a vector of the current model (at start, after bulk changes, and every SWEEP_SECONDS — a
server every SERVER_SWEEP_SECONDS, whether or not its own queue is busy, so a note another process
stored is found by meaning within seconds on the server that answers), and `aidis embed --backfill`
does the same in the foreground. Background sweeps of the processes sharing a data folder take turns
(a file lock): after a model change a server and each agent's `aidis mcp` all re-embedded everything
at once. The model is loaded on first need, in this thread or a search's, never at import or
start-up. A model that cannot be loaded is reported once and named by every search that wanted it.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine

from aidis import file_locks
from aidis.embedding_spec import OFF, check_spec, model_name
from aidis.errors import AidisError, InvalidInput
from aidis.repositories import context_vectors as vectors_repo
from aidis.repositories.context_vectors import StoredVector, TextToEmbed
from aidis.services.base import Clock, ServiceBase

if TYPE_CHECKING:  # numpy and the model code load with the first vector, not with the app
    from aidis.services.search.models import EmbeddingModel
    from aidis.services.search.vector_index import VectorIndex

log = logging.getLogger("aidis.search")

BATCH = 32  # texts per embedding pass: what `close()` may wait for (a second or two of long notes)
STOP_SECONDS = 30.0  # the most `close()` waits for the pass in progress to finish
QUEUE_SIZE = 10_000
SWEEP_SECONDS = 300.0
SERVER_SWEEP_SECONDS = 5.0
RETRY_SECONDS = 5.0
GATHER_SECONDS = 0.05
LOAD_PAGE_ROWS = 4096  # vectors read per statement when the index loads them all


class SemanticUnavailable(AidisError):
    """Semantic search cannot run here (model off, missing, or failed to load)."""


@dataclass(frozen=True, slots=True)
class EmbeddingStatus:
    """The configured model, how many contexts have its vector and how many do not, other models."""

    model: str | None  # None: semantic search is off
    embedded: int
    missing: int
    other_models: dict[str, int]


class Embedder(ServiceBase):
    """Owns the model, the process's vector index, and the thread that fills `context_vectors`."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        spec: str,
        *,
        background: bool = True,
        sweep_lock: Path | None = None,
        model_cache: Path | None = None,
    ) -> None:
        super().__init__(engine, clock)
        self.background = background  # False: this process never embeds in the background (the replayer)
        self.sweep_lock = sweep_lock  # held while sweeping in the background (one sweeper per data folder)
        self.model_cache = model_cache  # where the model keeps what it prepares once
        self.spec = check_spec(spec)
        self.model_name = model_name(self.spec)
        self._model: EmbeddingModel | None = None
        self._failure: str | None = (
            "semantic search is off (AIDIS_EMBEDDING_MODEL=off)" if self.spec == OFF else None
        )
        self._load_lock = threading.Lock()
        self._index: VectorIndex | None = None
        self._index_lock = threading.Lock()
        self._queue: queue.Queue[uuid.UUID | None] = queue.Queue(maxsize=QUEUE_SIZE)
        self._sweep = threading.Event()
        self._sweep.set()  # a new process looks once for contexts still without a vector
        self._idle = threading.Condition()
        self._busy = False
        self._queued = 0  # ids submitted and not yet embedded (or given up on)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.sweep_seconds = SWEEP_SECONDS
        self._next_sweep = time.monotonic() + self.sweep_seconds

    # --- the model -------------------------------------------------------------------------------

    @property
    def enabled(self) -> bool:
        """False when semantic search is turned off."""
        return self.spec != OFF

    def model(self) -> EmbeddingModel:
        """The loaded model (loading it on first use); SemanticUnavailable when it cannot be had."""
        if self._model is not None:
            return self._model
        with self._load_lock:
            if self._model is None and self._failure is None:
                try:
                    from aidis.services.search.models import load_model

                    self._model = load_model(self.spec, self.model_cache)
                    log.info("embedding model %s loaded (%d dimensions)", self._model.name, self._model.dim)
                except InvalidInput as exc:
                    self._failure = exc.message
                except Exception as exc:  # a broken install or file: reported, not retried
                    log.exception("embedding model %s failed to load", self.spec)
                    self._failure = f"the embedding model {self.spec} failed to load ({type(exc).__name__})"
                else:
                    self.model_name = self._model.name
            if self._model is None:
                raise SemanticUnavailable(self._failure or "semantic search is unavailable")
            return self._model

    @property
    def failure(self) -> str | None:
        """Why semantic search is unavailable, once known."""
        return self._failure

    def index(self, conn: Connection) -> VectorIndex:
        """The process's vector index, brought up to date with what any process wrote."""
        from aidis.services.search.vector_index import VectorIndex

        model = self.model()
        with self._index_lock:  # one load at a time: two searches racing must not build two indexes
            index = self._index
            if index is None or index.model != model.name:
                index = self._index = VectorIndex(model.name, model.dim)
            if index.needs_full_load():
                expected = vectors_repo.count_embedded(conn, model.name)
                index.load(_vectors_past(conn, model.name, 0, []), full=True, expected=expected)
            else:  # nearly always a short first page (one statement); a full one: count the rest, once
                first = vectors_repo.read_new(
                    conn, model.name, after_seq=index.last_seq, also=index.open_gaps(), limit=LOAD_PAGE_ROWS
                )
                rows: Iterable[StoredVector] = first
                expected = len(first)
                if len(first) == LOAD_PAGE_ROWS:
                    after = first[-1].seq
                    expected += vectors_repo.count_newer(conn, model.name, after_seq=after)
                    rows = itertools.chain(first, _vectors_past(conn, model.name, after, []))
                index.load(rows, full=False, expected=expected)
        return index

    # --- the queue and the thread ---------------------------------------------------------------

    def submit(self, ids: Sequence[uuid.UUID] | None) -> None:
        """Embed these contexts soon (None: some contexts changed, look for them). Never blocks."""
        if not (self.enabled and self.background) or self._failure is not None:
            return
        if ids is None:
            self._sweep.set()
        else:
            for context_id in ids:
                with self._idle:
                    self._queued += 1  # before the put: the thread may take it at once
                try:
                    self._queue.put_nowait(context_id)
                except queue.Full:  # the sweep will find it
                    with self._idle:
                        self._queued -= 1
                    self._sweep.set()
                    break
        self._ensure_thread()

    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._stopping.is_set():
                self._thread = threading.Thread(target=self._run, name="aidis-embedder", daemon=True)
                self._thread.start()

    def start(self, *, sweep_seconds: float = SERVER_SWEEP_SECONDS) -> None:
        """Start the thread now and look for contexts without a vector every `sweep_seconds` (a server
        does: what other processes store is embedded within seconds)."""
        self.sweep_seconds = sweep_seconds
        self._next_sweep = time.monotonic() + sweep_seconds
        if self.enabled and self.background:
            self._ensure_thread()

    def close(self) -> None:
        """Stop the thread once its pass in progress is done (what is queued is left for a later sweep).
        It is waited for: a process that exits while the model is running in another thread is aborted
        by onnxruntime's C++ runtime (exit status 134) instead of exiting cleanly."""
        self._stopping.set()
        with contextlib.suppress(queue.Full):  # a full queue wakes the thread anyway
            self._queue.put_nowait(None)
        thread = self._thread
        if thread is not None:
            thread.join(timeout=STOP_SECONDS)
            if thread.is_alive():
                log.warning("the embedder did not stop within %.0f s", STOP_SECONDS)
        self._index = None  # the vectors' memory goes with the app, even if something keeps the app

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued or being embedded (tests and one-shot commands)."""
        if not (self.enabled and self.background):
            return True
        if self._failure is None:
            self._ensure_thread()
        with self._idle:
            return self._idle.wait_for(
                lambda: (  # `_queued`: a batch just taken off the queue is not embedded yet
                    self._failure is not None
                    or (not self._busy and self._queued <= 0 and not self._sweep.is_set())
                ),
                timeout,
            )

    def settle(self, timeout: float) -> bool:
        """Wait (at most `timeout`) until what this process submitted is embedded, so a search right
        after a store sees it by meaning too; sweeps are not waited for."""
        if not (self.enabled and self.background) or self._failure is not None:
            return True
        with self._idle:
            return self._idle.wait_for(lambda: self._queued <= 0 or self._failure is not None, timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            ids = self._next_batch()
            with self._idle:
                self._busy = True
            try:
                if ids:
                    try:
                        self._embed_ids(ids)
                    finally:
                        with self._idle:
                            self._queued -= len(ids)
                            self._idle.notify_all()
                if self._sweep.is_set():
                    self._sweep.clear()
                    self.sweep()
            except SemanticUnavailable:
                log.warning("context embedding stopped: %s", self._failure)
                with self._idle:
                    self._idle.notify_all()
                return
            except AidisError as exc:  # the database is away: look again later
                log.warning("context embedding postponed: %s", exc.message)
                self._sweep.set()
                self._stopping.wait(RETRY_SECONDS)
            except Exception:
                log.exception("context embedding failed; retrying later")
                self._sweep.set()
                self._stopping.wait(RETRY_SECONDS)
            finally:
                with self._idle:
                    self._busy = False
                    self._idle.notify_all()

    def _next_batch(self) -> list[uuid.UUID]:
        now = time.monotonic()
        if now >= self._next_sweep:  # on a fixed cadence, however busy the queue is
            self._next_sweep = now + self.sweep_seconds
            self._sweep.set()  # look for anything another process left behind
        wait = 0.01 if self._sweep.is_set() else max(self._next_sweep - now, 0.01)
        try:
            first = self._queue.get(timeout=wait)
        except queue.Empty:
            return []
        batch = [first] if first is not None else []
        if batch:  # let a burst of stores gather: one embedding pass and one write for all of them,
            self._stopping.wait(GATHER_SECONDS)  # instead of contending with each store as it commits
        while len(batch) < BATCH:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                batch.append(item)
        return batch

    def _embed_ids(self, ids: list[uuid.UUID]) -> int:
        name = self.model().name
        with self.reading() as conn:
            todo = vectors_repo.texts(conn, list(dict.fromkeys(ids)), name)
        return self._embed(todo)

    def _embed(self, todo: list[TextToEmbed]) -> int:
        if not todo:
            return 0
        from aidis.services.search.vector_index import encode

        model = self.model()
        vectors = model.embed([item.text for item in todo])
        made = [(item, encode(vector)) for item, vector in zip(todo, vectors, strict=True)]
        with self.unit_of_work() as conn:
            return vectors_repo.write(conn, made, model=model.name, dim=model.dim, now=self.clock())

    def unembedded(self, ids: Sequence[uuid.UUID]) -> int:
        """How many of these contexts the process's vector index has no vector for yet (stored moments
        ago by another process, before the next sweep): a search ranked them by words only."""
        index = self._index
        if index is None:
            return 0
        return sum(1 for context_id in ids if not index.holds(context_id))

    def sweep(self, progress: Callable[[int], None] | None = None) -> int:
        """Embed every context still without a vector of the current model, in batches; returns how
        many were embedded (`progress` hears each batch's count). A background sweep (no `progress`)
        is skipped while another process sharing the sweep lock sweeps."""
        if progress is not None or self.sweep_lock is None:
            return self._sweep_all(progress)
        with file_locks.turn(self.sweep_lock, unopenable=True) as mine:  # no lock file, no coordination
            return self._sweep_all(None) if mine else 0

    def _sweep_all(self, progress: Callable[[int], None] | None) -> int:
        name = self.model().name
        done, after = 0, None
        while not self._stopping.is_set() or progress is not None:
            with self.reading() as conn:
                todo = vectors_repo.missing(conn, name, limit=BATCH, after=after)
            if not todo:
                return done
            after = todo[-1].id
            written = self._embed(todo)
            done += written
            if progress is not None:
                progress(len(todo))
        return done

    def backfill(self, progress: Callable[[int], None]) -> int:
        """`aidis embed --backfill`: embed every context still without a vector, now, in this thread;
        raises SemanticUnavailable (naming why) when the model cannot be loaded."""
        self.model()
        return self.sweep(progress)

    def status(self) -> EmbeddingStatus:
        """What `aidis embed` reports (loads no model)."""
        with self.reading() as conn:
            models = vectors_repo.models_in_use(conn)
            name = self.model_name
            missing = vectors_repo.count_missing(conn, name) if name is not None else 0
        others = {m: n for m, n in models.items() if m != name}
        return EmbeddingStatus(name, models.get(name, 0) if name else 0, missing, others)

    def count_missing(self) -> int:
        """How many contexts have no vector of the current model (0 when semantic search is off)."""
        if self.model_name is None:
            return 0
        with self.reading() as conn:
            return vectors_repo.count_missing(conn, self.model_name)

    def models_in_use(self) -> dict[str, int]:
        """How many vectors each model has made."""
        with self.reading() as conn:
            return vectors_repo.models_in_use(conn)


def _vectors_past(conn: Connection, model: str, after: int, gaps: Sequence[int]) -> Iterator[StoredVector]:
    """The vectors of `model` past id `after` (and those of the skipped ids `gaps`), in id order, read a
    page at a time: a load never holds every row at once (a bulk import can add 100,000 at a time)."""
    while True:
        page = vectors_repo.read_new(conn, model, after_seq=after, also=gaps, limit=LOAD_PAGE_ROWS)
        yield from page
        if len(page) < LOAD_PAGE_ROWS:
            return
        after, gaps = page[-1].seq, []
