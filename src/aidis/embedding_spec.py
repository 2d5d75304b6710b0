"""The embedding model setting (AIDIS_EMBEDDING_MODEL), parsed without loading anything.

Invariant: a setting names a model that is on this machine or is refused at start-up naming the
setting — `minilm` (bundled, the default), `wordllama` (bundled, light), `wordllama:64|128|256`, `model2vec:/local/folder`, or `off` — and
the name its vectors carry is known before the model loads, so checks and searches never load a
model to learn which vectors are current. Standard library only: settings are parsed by every
command, and numpy is for the processes that embed.
"""

from __future__ import annotations

from pathlib import Path

from aidis.errors import InvalidInput

DEFAULT_MODEL = "minilm"
LIGHT_MODEL = "wordllama"
OFF = "off"
WORDLLAMA_DIMS = (64, 128, 256)
FIELD = "AIDIS_EMBEDDING_MODEL"


def check_spec(spec: str) -> str:
    """The normalized model setting, or a clear error naming AIDIS_EMBEDDING_MODEL (no loading)."""
    value = spec.strip() or DEFAULT_MODEL
    if value in (OFF, DEFAULT_MODEL, LIGHT_MODEL):
        return value
    kind, _, rest = value.partition(":")
    if kind == "wordllama" and rest.isdigit() and int(rest) in WORDLLAMA_DIMS:
        return value
    if kind == "model2vec" and rest:
        path = Path(rest).expanduser()
        if not (path / "config.json").is_file():
            raise InvalidInput(
                f"no Model2Vec model in {path} (a folder with config.json; AIDIS never downloads one)",
                field=FIELD,
            )
        return f"model2vec:{path}"
    raise InvalidInput(
        "must be minilm, wordllama, wordllama:64|128|256, model2vec:/local/folder or off, not " + repr(value),
        field=FIELD,
    )


def model_name(spec: str) -> str | None:
    """The name vectors of this setting carry, known without loading the model (None when off)."""
    value = check_spec(spec)
    if value == OFF:
        return None
    if value == DEFAULT_MODEL:
        return "all-MiniLM-L6-v2/int8"
    if value == LIGHT_MODEL:
        return "wordllama/l2_supercat"
    kind, _, rest = value.partition(":")
    if kind == "wordllama":
        return "wordllama/l2_supercat" if rest == "256" else f"wordllama/l2_supercat@{rest}"
    return f"model2vec:{Path(rest).name}"
