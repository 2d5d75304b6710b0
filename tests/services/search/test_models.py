"""The bundled model loads from the installed package with no network, and a model setting that
names nothing on this machine is refused naming AIDIS_EMBEDDING_MODEL."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest

from aidis.config import Settings
from aidis.embedding_spec import check_spec, model_name
from aidis.errors import InvalidInput
from aidis.services.search.models import load_model


def test_the_bundled_model_loads_and_embeds_without_any_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the embedding model tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    model = load_model("wordllama")
    vectors = model.embed(["we retry card captures", "", "!!!", "café " * 5000])
    assert vectors.shape == (4, 256) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[[0, 3]], axis=1), 1.0, atol=1e-5)
    assert not vectors[1].any()  # no words: a zero vector, never NaN
    assert not np.isnan(vectors).any()
    assert model.name == model_name("wordllama") == "wordllama/l2_supercat"


def test_related_texts_are_closer_than_unrelated_ones() -> None:
    model = load_model("wordllama")
    query, near, far = model.embed(
        ["database connections exhausted", "postgres pool ran out", "chocolate cake"]
    )
    assert float(query @ near) > float(query @ far)


def test_a_smaller_wordllama_is_another_model() -> None:
    small = load_model("wordllama:64")
    assert small.dim == 64 and small.name == model_name("wordllama:64") != model_name("wordllama")


@pytest.mark.parametrize(
    "spec",
    ["bert-large", "wordllama:99", "model2vec:", "model2vec:/nowhere/at/all", "http://example.com/model"],
)
def test_a_model_that_is_not_on_this_machine_is_refused_naming_the_setting(spec: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_spec(spec)
    assert caught.value.field == "AIDIS_EMBEDDING_MODEL"
    with pytest.raises(ValueError, match="embedding_model"):
        Settings(embedding_model=spec)


def test_a_model2vec_folder_needs_its_config(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    assert check_spec(f"model2vec:{tmp_path}") == f"model2vec:{tmp_path}"
    assert model_name(f"model2vec:{tmp_path}") == f"model2vec:{tmp_path.name}"


def test_off_turns_semantic_search_off() -> None:
    assert model_name("off") is None
    with pytest.raises(InvalidInput, match="off"):
        load_model("off")


def test_the_table_is_held_as_stored_and_embeds_exactly_as_a_float32_copy_would() -> None:
    model = load_model("wordllama")
    texts = ["decided to cache the parser", "retry the flaky upload with backoff", "w17"]
    held = model.embed(texts)
    assert model._table.dtype == np.float16  # type: ignore[attr-defined]  # half the memory of float32
    model._table = model._table.astype(np.float32)  # type: ignore[attr-defined]
    assert np.array_equal(held, model.embed(texts))
