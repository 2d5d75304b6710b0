"""Backfill: give Unassigned sessions the project their own evidence names, reviewably and revertibly.

Set-based: the same handful of statements whatever the number of sessions (lesson 7).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aidis.errors import InvalidInput, NotFound
from aidis.repositories import backfill as repo
from aidis.services.base import ServiceBase
from aidis.services.principal import require_server_admin


@dataclass(frozen=True)
class BackfillReport:
    """What a backfill run did (or, in a dry run, would do)."""

    run_id: str
    dry_run: bool
    candidates: int
    assigned: int
    by_project: list[tuple[str, int]]

    @property
    def kept_unassigned(self) -> int:
        """Candidates whose evidence was missing, split, or below the share."""
        return self.candidates - self.assigned


class BackfillService(ServiceBase):
    """Runs and reverts backfills."""

    def run(self, *, min_share: float = 1.0, dry_run: bool = False) -> BackfillReport:
        """Assign every Unassigned session whose evidence names one project with at least `min_share` of it.

        Each assignment is a session_project_changes row (reason `backfill`, the evidence counts in
        `details`, one `run_id` for the whole run) plus a `session_assigned` event.
        """
        require_server_admin("backfill")
        if not 0.5 < min_share <= 1.0:
            raise InvalidInput("min_share must be more than 0.5 and at most 1.0", field="min_share")
        run_id = f"backfill-{self.clock():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        now = self.clock()
        with self.engine.connect() as conn:
            tx = conn.begin()
            try:
                repo.tune_for_bulk(conn)
                candidates = repo.count_candidates(conn)
                planned = repo.record_plan(conn, min_share=min_share, run_id=run_id, now=now)
                by_project = repo.plan_summary(conn, run_id)
                assigned = repo.apply_run(conn, run_id, now=now)
                _verify(planned, assigned)
            except BaseException:
                tx.rollback()
                raise
            if dry_run:
                tx.rollback()
            else:
                tx.commit()
        if assigned and not dry_run:
            self._refresh_statistics()
            self.changes.everything_changed()
        return BackfillReport(run_id, dry_run, candidates, assigned, by_project)

    def _refresh_statistics(self) -> None:
        """After a run's commit: the planner's view of where sessions are (see repo.refresh_statistics)."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            repo.refresh_statistics(conn)

    def revert(self, run_id: str) -> int:
        """Undo a backfill run for the sessions still where it put them; each undo is recorded too."""
        require_server_admin("backfill")
        now = self.clock()
        revert_id = f"revert-{run_id}"[:64]
        with self.unit_of_work() as conn:
            self.changed(conn, everything=True)
            if not repo.run_exists(conn, run_id):
                raise NotFound(f"no backfill run {run_id!r}", field="run_id")
            if repo.run_exists(conn, revert_id):
                raise InvalidInput(f"run {run_id!r} was already reverted", field="run_id")
            planned = repo.record_revert(conn, run_id=run_id, revert_id=revert_id, now=now)
            moved = repo.apply_run(conn, revert_id, now=now)
            _verify(planned, moved)
        if moved:
            self._refresh_statistics()
        return moved


def _verify(planned: int, made: int) -> None:
    """Refuse (and so roll back) a run whose moves differ from its recorded plan."""
    if planned != made:
        raise RuntimeError(f"planned {planned} moves but made {made}; rolled back")
