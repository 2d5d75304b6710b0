"""The demo week shows what real use records: three agents' sessions with their activity, exact tokens
and cost, summaries and distinct notes, Unassigned sessions that triage and backfill resolve, a moved
session — and it obeys every invariant real data does, on both engines, run after run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from aidis.app import AppContext, build_app
from aidis.enums import UsageShape
from aidis.records import SessionFilter
from aidis.services.demo.stories import CARRIED_OVER, PROJECTS
from aidis.services.demo.week import seed_week
from aidis.services.memory.reads import ContextQuery
from aidis.services.operations.demo import MutableClock


def test_the_demo_week_shows_what_real_use_records(app: AppContext, tmp_path: Path) -> None:
    clock = MutableClock(app.clock())
    now = clock.now
    demo = build_app(app.settings, migrate=False, clock=clock)
    try:
        week = seed_week(demo, clock, tmp_path / "demo", now=now)
        again = seed_week(demo, clock, tmp_path / "demo", now=now)  # a second run adds, never collides
        assert week.handed_over >= 8  # later sessions of a project start with its hand-over
        sessions, _ = demo.sessions.list(SessionFilter(), limit=200)
        assert len(sessions) == week.sessions + again.sessions
        agents = {s.agent_type for s in sessions}
        assert {"claude-code", "codex", "gemini-cli"} <= agents
        recorded = [s for s in sessions if s.agent_type in ("claude-code", "codex", "gemini-cli")]
        assert all(s.metadata.get("tokens") == "exact" and s.title for s in recorded)
        kinds = Counter(row.kind for s in recorded for row in demo.activity.for_session(s.id))
        assert kinds["edit"] and kinds["create"] and kinds["command"] and kinds["test"]
        runs = [r for s in recorded for r in demo.activity.for_session(s.id) if r.kind == "test"]
        assert any(r.tests_failed for r in runs) and any(r.tests_passed and not r.tests_failed for r in runs)
        assert all(s.metadata.get("summary") for s in recorded)
        usage = demo.usage.report(UsageShape.PROJECT)
        costs = {line.key: line.cost for line in usage.lines}
        assert set(PROJECTS) <= set(costs) and all(costs[name] > 0 for name in PROJECTS)
        assert not usage.total.unpriced_models
        notes = demo.context_reads.recent(None, ContextQuery(all_projects=True), limit=100).items
        assert len({n.title for n in notes}) >= 10  # distinct notes, not a few sentences repeated
        unassigned = [s for s in sessions if s.is_unassigned]
        offered = demo.triage.suggestions(unassigned)
        assert any(o.candidates for o in offered.values()) and any(o.folder for o in offered.values())
        assert demo.backfill.run(dry_run=True).assigned == 2 * len(CARRIED_OVER)
        moved = next(s for s in sessions if s.display_id == week.moved)
        assert (
            moved.project_name == "checkout-service"
            and moved.metadata.get("workspace", {}).get("matched") == "ambiguous"
        )
        report = demo.integrity.check()
        assert report.clean, {c.name: c.samples for c in report.checks if c.violations}
        assert max(s.ended_at or s.started_at for s in sessions) <= now
    finally:
        demo.close()
