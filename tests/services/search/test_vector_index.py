"""The process's vector index: exact neighbours within the projects asked for, replaced rows, and ids
skipped over (a commit that lands late) asked for again."""

from __future__ import annotations

import uuid

import numpy as np

from aidis.repositories.context_vectors import StoredVector
from aidis.services.search.vector_index import VectorIndex, encode


def _unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def _row(seq: int, context: uuid.UUID, project: uuid.UUID, vector: np.ndarray) -> StoredVector:
    return StoredVector(seq, context, project, encode(vector))


def test_neighbours_come_best_first_within_the_projects_asked_for() -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    mine, other = uuid.uuid4(), uuid.uuid4()
    index = VectorIndex("m", 3)
    index.load(
        [
            _row(1, a, mine, _unit(1, 0, 0)),
            _row(2, b, mine, _unit(1, 1, 0)),
            _row(3, c, other, _unit(1, 0, 0.01)),
        ],
        full=True,
    )
    query = _unit(1, 0, 0)
    assert [n.id for n in index.nearest(query, project_ids=[mine], k=5, min_similarity=0)] == [a, b]
    assert [n.id for n in index.nearest(query, project_ids=None, k=2, min_similarity=0)] == [a, c]
    assert [n.id for n in index.nearest(query, project_ids=[mine], k=5, min_similarity=0.9)] == [a]
    assert index.nearest(query, project_ids=[uuid.uuid4()], k=5, min_similarity=0) == []


def test_a_new_vector_for_a_context_replaces_its_old_one() -> None:
    context, project = uuid.uuid4(), uuid.uuid4()
    index = VectorIndex("m", 2)
    index.load([_row(1, context, project, _unit(1, 0))], full=True)
    index.load([_row(5, context, project, _unit(0, 1))], full=False)
    assert index.size == 1
    (hit,) = index.nearest(_unit(0, 1), project_ids=None, k=3, min_similarity=0)
    assert hit.id == context and hit.similarity > 0.99


def test_ids_skipped_over_are_asked_for_again_until_they_arrive() -> None:
    project = uuid.uuid4()
    index = VectorIndex("m", 2)
    index.load([_row(1, uuid.uuid4(), project, _unit(1, 0))], full=True)
    index.load([_row(4, uuid.uuid4(), project, _unit(1, 1))], full=False)  # 2 and 3 not committed yet
    assert index.last_seq == 4 and index.open_gaps() == [2, 3]
    index.load([_row(3, uuid.uuid4(), project, _unit(0, 1))], full=False)
    assert index.open_gaps() == [2] and index.size == 3


def test_a_vector_of_the_wrong_size_is_skipped() -> None:
    index = VectorIndex("m", 4)
    assert index.load([_row(1, uuid.uuid4(), uuid.uuid4(), _unit(1, 0))], full=True) == 0
    assert index.size == 0


def test_rows_of_projects_not_asked_for_are_never_proposed_and_full_arrays_grow() -> None:
    mine, other = uuid.uuid4(), uuid.uuid4()
    index = VectorIndex("m", 2)
    index.load([], full=True, expected=1)
    rows = [_row(seq, uuid.uuid4(), mine if seq % 2 else other, _unit(1, seq / 10)) for seq in range(1, 50)]
    index.load(rows, full=False)
    assert index.size == 49 and index.capacity >= 49
    near = index.nearest(_unit(1, 0), project_ids=[mine], k=100, min_similarity=-1)
    assert {n.id for n in near} == {r.context_id for r in rows if r.project_id == mine}
    assert [n.similarity for n in near] == sorted((n.similarity for n in near), reverse=True)


def test_held_rows_score_within_a_rounding_of_float32_cosines_in_a_quarter_of_the_memory() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((20_000, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    project = uuid.uuid4()
    rows = [_row(seq, uuid.uuid4(), project, vectors[seq - 1]) for seq in range(1, len(vectors) + 1)]
    index = VectorIndex("m", 384)
    index.load(rows, full=True, expected=len(rows))  # more rows than one scan block
    query = vectors[17]
    stored = np.stack([np.frombuffer(r.vector, dtype="<f2").astype(np.float32) for r in rows])
    exact = stored @ query
    near = index.nearest(query, project_ids=None, k=len(rows), min_similarity=-2)
    by_id = {r.context_id: i for i, r in enumerate(rows)}
    assert near[0].id == rows[17].context_id
    errors = [abs(n.similarity - exact[by_id[n.id]]) for n in near]
    assert max(errors) < 0.003 and float(np.mean(errors)) < 0.0005
    assert index._matrix.nbytes == len(rows) * 384  # type: ignore[attr-defined]  # one byte a dimension
