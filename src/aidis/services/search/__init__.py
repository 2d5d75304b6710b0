"""Search: what a query finds — by words on both engines alike, by meaning with a bundled model, fused.

May call: the kernel only (memory calls this domain; operations reports on it).

- `snippets`      the words around a match, highlighted, cut in Python for every engine
- `models`        embedding models: the bundled WordLlama default, local Model2Vec folders; no download
- `vector_index`  the process's copy of the vectors, searched with numpy
- `embedder`      the background thread that makes vectors, sweeps for missing ones, and the backfill
- `hybrid`        keyword, semantic and fused ranking, exact identifiers first, `mode_used` and why
"""

from aidis.services.search.embedder import Embedder, EmbeddingStatus, SemanticUnavailable
from aidis.services.search.hybrid import Candidate, HybridRanker, Ranking
from aidis.services.search.snippets import START, STOP, cut

__all__ = [
    "START",
    "STOP",
    "Candidate",
    "Embedder",
    "EmbeddingStatus",
    "HybridRanker",
    "Ranking",
    "SemanticUnavailable",
    "cut",
]
