"""`aidis check`: integrity assertions over the whole database, and the repairs that are safe."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

from aidis.enums import Actor, EndReason
from aidis.repositories import events as events_repo
from aidis.repositories import evidence as evidence_repo
from aidis.repositories import integrity as repo
from aidis.repositories import rollups as rollups_repo
from aidis.repositories import team as team_repo
from aidis.repositories import usage as usage_repo
from aidis.repositories import usage_days as usage_days_repo
from aidis.repositories import usage_ranks as usage_ranks_repo
from aidis.repositories import usage_rollups as usage_rollups_repo
from aidis.repositories.row_security import member_role_exists
from aidis.services.base import Clock, ServiceBase
from aidis.services.search import Embedder
from aidis.services.sessions.lifecycle import SessionService

# Clocks of several servers disagree a little; more than this is a bug (or generated data gone wrong).
FUTURE_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class CheckResult:
    """One assertion: how many rows break it, a few examples, and whether --fix can repair it."""

    name: str
    description: str
    violations: int
    samples: list[str]
    fixable: bool


@dataclass
class IntegrityReport:
    """Every assertion's result and, with --fix, what was repaired."""

    checks: list[CheckResult]
    fixes: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # worth knowing, not violations (e.g. vectors to make)

    @property
    def clean(self) -> bool:
        """True when nothing is violated."""
        return all(c.violations == 0 for c in self.checks)

    def counts(self) -> dict[str, int]:
        """Violations by check name (the shape exported as a Prometheus gauge)."""
        return {c.name: c.violations for c in self.checks}

    def to_dict(self) -> dict[str, Any]:
        """JSON for `aidis check --json`."""
        return {
            "clean": self.clean,
            "checks": [c.__dict__ for c in self.checks],
            "fixes": self.fixes,
            "notes": self.notes,
        }


class IntegrityService(ServiceBase):
    """Runs the checks and the safe repairs."""

    def __init__(
        self, engine: Any, clock: Clock, sessions: SessionService, idle_timeout: timedelta, embedder: Embedder
    ) -> None:
        super().__init__(engine, clock, sessions.telemetry)
        self.sessions = sessions
        self.idle_timeout = idle_timeout
        self.embedder = embedder

    def _checks(self) -> list[tuple[str, str, Callable[[Connection], tuple[int, list[str]]], bool]]:
        cutoff = self.clock() - self.idle_timeout
        skew_limit = self.clock() + FUTURE_SKEW
        folded: dict[str, repo.SessionTallies] = {}

        def tallies(conn: Connection) -> repo.SessionTallies:  # three assertions, one pass
            if "pass" not in folded:
                folded["pass"] = repo.session_tallies(conn)
            return folded["pass"]

        return [
            ("null_project", "sessions with a NULL project", repo.null_project, False),
            ("dangling_project", "rows pointing at a missing project", repo.dangling_project, False),
            (
                "idle_open_session",
                "open sessions idle past the timeout",
                lambda c: repo.idle_open(c, cutoff),
                True,
            ),
            (
                "activity_in_future",
                "sessions with a start, activity or end later than now",
                lambda c: repo.in_the_future(c, skew_limit),
                False,
            ),
            ("bad_end_state", "status disagreeing with ended_at/end_reason", repo.badly_ended, False),
            (
                "missing_end_event",
                "closed sessions without a session_end event",
                lambda c: tallies(c).missing_end_event,
                True,
            ),
            (
                "event_project_mismatch",
                "events not in their session's project at that time",
                lambda c: tallies(c).event_project_mismatch,
                False,
            ),
            (
                "counter_mismatch",
                "session counters that disagree with their rows",
                lambda c: tallies(c).counter_mismatch,
                True,
            ),
            (
                "duplicate_open_session",
                "connections with more than one open session",
                repo.duplicate_open,
                False,
            ),
            (
                "purged_text_left",
                "purged contexts that still hold text or revisions",
                repo.purged_text_left,
                False,
            ),
            (
                "rollup_mismatch",
                "per-day session rollups that disagree with a recount of the sessions",
                rollups_repo.mismatches,
                True,
            ),
            (
                "evidence_mismatch",
                "Unassigned sessions' project evidence that disagrees with a recount of their events",
                evidence_repo.mismatches,
                True,
            ),
            (
                "usage_rollup_mismatch",
                "hourly usage rollups that disagree with a recount of the usage rows",
                usage_rollups_repo.rollup_mismatches,
                True,
            ),
            (
                "usage_day_mismatch",
                "per-day usage sums that disagree with a regrouping of the hourly rollups",
                usage_days_repo.day_mismatches,
                True,
            ),
            (
                "usage_rank_mismatch",
                "sessions whose costliest-sessions rank disagrees with a recount of their usage",
                usage_ranks_repo.rank_mismatches,
                True,
            ),
            (
                "usage_mismatch",
                "sessions whose tokens by hour and model do not add up to their transcript totals",
                usage_repo.mismatches,
                False,
            ),
            (
                "revision_gap",
                "contexts whose revision number disagrees with their kept revisions",
                repo.revision_gaps,
                False,
            ),
        ]

    def check(self) -> IntegrityReport:
        """Run every assertion (read-only) and publish the counts on the integrity gauge."""
        results = []
        with (
            self.telemetry.tracer.start_as_current_span("aidis.integrity.check"),
            self.reading(
                transaction=True  # prepare_scan's SET LOCAL
            ) as conn,
        ):
            repo.prepare_scan(conn)
            for name, description, run, fixable in self._checks():
                violations, samples = run(conn)
                results.append(CheckResult(name, description, violations, samples, fixable))
            notes = self._search_notes() + _team_notes(conn)
        report = IntegrityReport(results, notes=notes)
        self.telemetry.metrics.set_integrity(report.counts())
        return report

    def _search_notes(self) -> list[str]:
        """What semantic search still lacks: contexts without a vector of the current model, and
        vectors of other models (replaced in the background)."""
        current = self.embedder.model_name
        if current is None:
            return ["semantic search is off (AIDIS_EMBEDDING_MODEL=off): keyword search only"]
        notes = []
        missing = self.embedder.count_missing()
        if missing:
            notes.append(
                f"{missing} context(s) without a vector of {current} (made in the background by a running "
                "server; `aidis embed --backfill` makes them now)"
            )
        for model, count in sorted(self.embedder.models_in_use().items()):
            if model != current:
                notes.append(
                    f"{count} vector(s) of {model}, no longer the configured model (replaced as they are re-made)"
                )
        return notes

    def fix(self) -> IntegrityReport:
        """Repair what is safe (idle sessions closed with end events, missing end events written,
        counters recomputed from rows, rollups and backfill evidence recounted), then check again. Each repair leaves a trace: end events
        say `integrity_fix`."""
        fixes = {"idle_open_session": self.sessions.close_idle(self.idle_timeout, EndReason.INTEGRITY_FIX)}
        with self.unit_of_work() as conn:
            fixes["missing_end_event"] = len(
                events_repo.write_end_events(conn, None, actor=Actor.SYSTEM, synthesized_by="integrity_fix")
            )
            fixes["counter_mismatch"] = repo.fix_counters(conn)
            # in this order: the rollups sum the counters, the usage days sum the usage rollups
            for name, mismatches, rebuild in (
                ("rollup_mismatch", rollups_repo.mismatches, rollups_repo.rebuild),
                ("evidence_mismatch", evidence_repo.mismatches, evidence_repo.rebuild_unassigned),
                (
                    "usage_rollup_mismatch",
                    usage_rollups_repo.rollup_mismatches,
                    usage_rollups_repo.rebuild_rollups,
                ),
                ("usage_day_mismatch", usage_days_repo.day_mismatches, usage_days_repo.rebuild_days),
                ("usage_rank_mismatch", usage_ranks_repo.rank_mismatches, usage_ranks_repo.rerank),
            ):
                wrong, _ = mismatches(conn)
                if wrong:
                    rebuild(conn)
                fixes[name] = wrong
        report = self.check()
        report.fixes = fixes
        return report


def _team_notes(conn: Connection) -> list[str]:
    """On a team server on PostgreSQL without row security in force, say the services stand alone."""
    if conn.dialect.name != "postgresql" or not team_repo.any_users(conn) or member_role_exists(conn):
        return []
    return [
        "row-level security is off on this team server (the database user that migrated it could not "
        "create the aidis_member role, or the user AIDIS connects as is not a member): grants are "
        "enforced by AIDIS's services alone — see docs/team.md"
    ]
