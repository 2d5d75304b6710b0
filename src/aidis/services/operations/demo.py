"""Demo data: a realistic small data set through the services, or a large synthetic one set-based."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine

from aidis.enums import ContextType, EndReason
from aidis.errors import InvalidInput
from aidis.repositories import bulk
from aidis.services.caller import Caller
from aidis.services.memory.store import ContextService
from aidis.services.projects.catalog import ProjectService
from aidis.services.sessions.lifecycle import SessionService

DEMO_PROJECTS = {
    "checkout-service": "Payments and checkout API",
    "mobile-app": "iOS and Android client",
    "data-pipeline": "Nightly ETL into the warehouse",
    "docs-site": "Public documentation",
}
TITLES = [
    "Fix flaky retry test",
    "Add refund endpoint",
    "Upgrade to Python 3.12",
    "Profile slow query",
    "Write migration for orders",
    "Review PR feedback",
    "Investigate memory leak",
    "Refactor auth middleware",
    "Add dark mode",
    "Document webhooks",
]
NOTES = [
    ("decision", "Use idempotency keys on card captures so retries never double-charge."),
    (
        "error",
        "TimeoutError in worker: the pool was exhausted by a leaked connection; fixed with a context manager.",
    ),
    ("planning", "Split the refund flow into validate → reserve → execute."),
    ("code", "def backoff(attempt): return min(30, 2 ** attempt)"),
    ("milestone", "Staging deploy green for the new checkout."),
]


class MutableClock:
    """A clock the seeder moves through the past."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def seed_realistic(
    engine: Engine, *, now: datetime, sessions: int = 120, days: int = 30, seed: int = 7
) -> int:
    """Create demo projects and `sessions` sessions over the last `days` days, through the real services.

    About one in six sessions is left Unassigned; a few at the end stay active. Returns the count made.
    """
    if sessions < 1 or days < 1:
        raise InvalidInput("sessions and days must be at least 1", field="sessions")
    rng = random.Random(seed)  # noqa: S311 — reproducible demo data, not security
    clock = MutableClock(now - timedelta(days=days))
    projects = ProjectService(engine, clock)
    lifecycle = SessionService(engine, clock)
    contexts = ContextService(engine, clock, lifecycle)
    existing = {p.project.name for p in projects.list()}
    for name, description in DEMO_PROJECTS.items():
        if name not in existing:
            projects.create(name, description=description)
    names = list(DEMO_PROJECTS)
    run = uuid.uuid4().hex[:8]  # connections of this run: running the command again adds, never collides
    step = timedelta(days=days) / sessions
    still_open = min(3, sessions)

    def advance(minutes: int) -> None:  # demo data obeys the same rule as real data: nothing after now
        clock.now = min(clock.now + timedelta(minutes=minutes), now)

    for i in range(sessions):
        clock.now = min(now, now - timedelta(days=days) + step * i + timedelta(minutes=rng.randint(0, 30)))
        if i >= sessions - still_open:  # the last few are happening now
            clock.now = now - timedelta(minutes=5 * (sessions - i))
        unassigned = rng.random() < 1 / 6
        # An agent that never named a project has no "last project" to inherit, so it stays Unassigned.
        agent = "unknown" if unassigned else rng.choice(["claude-code", "cursor", "codex"])
        caller = Caller(f"demo-{seed}-{run}-{i}", agent, "stdio")
        project = None if unassigned else rng.choice(names)
        lifecycle.start(
            caller.connection_id,
            project=project,
            title=rng.choice(TITLES),
            agent_type=caller.agent_type,
            transport="stdio",
        )
        for _ in range(rng.randint(0, 4)):
            advance(rng.randint(1, 20))
            kind, text = rng.choice(NOTES)
            contexts.store(caller, text, context_type=ContextType(kind), tags=[kind])
        if i < sessions - still_open:
            advance(rng.randint(1, 30))
            reason = EndReason.IDLE_TIMEOUT if rng.random() < 0.1 else EndReason.EXPLICIT
            lifecycle.end_for_connection(caller.connection_id, reason=reason)
    return sessions


def generate_bulk(
    engine: Engine,
    *,
    now: datetime,
    sessions: int,
    events_per_session: int = 5,
    projects: int = 20,
    days: int = 365,
    unassigned_every: int = 10,
    batch: int = 100_000,
    progress: Callable[[int], None] | None = None,
    orphans_with_evidence: bool = False,
) -> int:
    """Generate `sessions` ended sessions and `events_per_session` events each, set-based, in batches;
    returns the number of events made.

    `orphans_with_evidence`: every session is Unassigned and its events carry legacy project evidence
    (see `bulk.insert_events`) — the data set `aidis backfill` is measured on.
    """
    if sessions < 1:
        raise InvalidInput("sessions must be at least 1", field="sessions")
    if not 2 <= events_per_session <= 100:
        raise InvalidInput("events_per_session must be 2–100", field="events_per_session")
    service = ProjectService(engine, lambda: now)
    existing = {p.project.name: p.project for p in service.list()}
    ids = []
    for i in range(projects):
        name = f"bench-project-{i:02d}"
        ids.append((existing.get(name) or service.create(name, description="generated")).id)
    made = 0
    while made < sessions:
        size = min(batch, sessions - made)
        with engine.begin() as conn:
            bulk.insert_sessions(
                conn,
                project_ids=ids,
                count=size,
                start_number=bulk.count_generated(conn),
                now=now,
                days=days,
                unassigned_every=1 if orphans_with_evidence else unassigned_every,
                events_per_session=events_per_session,
            )
        made += size
        if progress:
            progress(size)
    with engine.begin() as conn:
        events = bulk.insert_events(
            conn, events_per_session=events_per_session, evidence_for=ids if orphans_with_evidence else None
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        bulk.analyze(conn)
    return events


def generate_contexts(engine: Engine, *, project_id: uuid.UUID, count: int, now: datetime) -> None:
    """Add `count` synthetic contexts to a project, set-based, then refresh the planner's statistics
    (what autovacuum would do after such a load) — the search benchmarks' data set."""
    if count < 0:
        raise InvalidInput("count must not be negative", field="count")
    with engine.begin() as conn:
        bulk.insert_contexts(conn, project_id=project_id, count=count, now=now)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        bulk.analyze(conn)
