"""What every embedding model shares: unit float32 rows, and finding an installed package's files.

Invariant: a model's files are found on disk without importing its package (a package's import can
configure logging or reach for the network), and every row a model returns is unit length or zero —
never NaN — so cosine similarity is a plain dot product everywhere.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from aidis.errors import InvalidInput

Vectors = NDArray[np.float32]


def package_folder(name: str) -> Path:
    """An installed package's folder, found without importing it (wordllama's import configures
    logging and loads an HTTP client; AIDIS needs only its files)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise InvalidInput(f"the {name} package is not installed", field="AIDIS_EMBEDDING_MODEL")
    return Path(next(iter(spec.submodule_search_locations)))


def unit_rows(rows: Any) -> Vectors:
    """Rows scaled to unit length, float32 (a zero row stays zero, never NaN)."""
    array = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.where(norms > 0, array / np.where(norms > 0, norms, 1), 0)
    return np.ascontiguousarray(unit, dtype=np.float32)
