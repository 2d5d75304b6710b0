"""The attribution workload meets its target on both engines (real processes, real git trees)."""

from __future__ import annotations

from aidis.bench.attribution import run_attribution, summary
from tests.gitrepos import require_git
from tests.support import ADMIN_URL


async def test_every_unambiguous_case_is_right_and_nothing_is_misfiled(engine_name: str) -> None:
    require_git()
    cases = await run_attribution(engine_name, ADMIN_URL)
    result = summary(cases)
    wrong = [(c.name, c.expected, c.reached) for c in cases if not c.right]
    assert result["unambiguous_right"] == result["unambiguous"] >= 12, wrong
    assert result["misfiled"] == 0, wrong
    assert result["ambiguous_unassigned_with_candidates"] == result["ambiguous"] >= 4, wrong
