"""Retention: delete contexts and events older than a cut-off, and record that it happened.

Invariants: session rows, lifecycle events and summaries are kept (see `repositories.retention`);
everything happens in one transaction with a `contexts_pruned`/`events_pruned` event saying what was
removed, when and by whom, so the record shows the gap; a dry run writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from aidis.enums import SENTINEL_PROJECT_ID, Actor, EventType
from aidis.errors import InvalidInput
from aidis.repositories import events as events_repo
from aidis.repositories import retention as repo
from aidis.services.base import ServiceBase
from aidis.services.principal import require_server_admin
from aidis.services.projects.catalog import find_project

WHAT = ("contexts", "events")
_AGE = re.compile(r"^\s*(\d{1,5})\s*([dhw])\s*$")


def parse_age(text: str) -> timedelta:
    """'180d', '12w' or '36h' as a duration."""
    found = _AGE.match(text)
    if not found:
        raise InvalidInput("give an age like 180d, 12w or 36h", field="older_than")
    amount, unit = int(found.group(1)), found.group(2)
    if amount == 0:
        raise InvalidInput("the age must be more than zero", field="older_than")
    return {"d": timedelta(days=amount), "h": timedelta(hours=amount), "w": timedelta(weeks=amount)}[unit]


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What a prune removed (or, in a dry run, would remove)."""

    counts: dict[str, int]
    dry_run: bool
    cutoff: str


class RetentionService(ServiceBase):
    """Let old material go, set-based, leaving a trace."""

    def prune(
        self,
        older_than: str,
        *,
        project: str | None = None,
        what: tuple[str, ...] = WHAT,
        dry_run: bool = False,
    ) -> PruneReport:
        """Delete contexts and/or events created before now minus `older_than`."""
        require_server_admin("pruning")
        age = parse_age(older_than)
        unknown = [w for w in what if w not in WHAT]
        if unknown or not what:
            raise InvalidInput(f"what must be among {', '.join(WHAT)}", field="what")
        cutoff = self.clock() - age
        with self.unit_of_work() as conn:
            target = find_project(conn, project) if project is not None else None
            if not dry_run:
                self.changed(conn, everything=True)
            project_ids = [target.id] if target is not None else None
            if dry_run:
                counts = repo.count_old(conn, cutoff, project_ids)
                return PruneReport({k: v for k, v in counts.items() if k in what}, True, cutoff.isoformat())
            counts = {}
            if "contexts" in what:
                counts["contexts"] = repo.delete_contexts(conn, cutoff, project_ids)
            if "events" in what:
                counts["events"] = repo.delete_events(conn, cutoff, project_ids)
            for kind, event in (("contexts", EventType.CONTEXTS_PRUNED), ("events", EventType.EVENTS_PRUNED)):
                if counts.get(kind):
                    events_repo.insert_project_event(
                        conn,
                        project_id=target.id if target is not None else SENTINEL_PROJECT_ID,
                        event_type=event.value,
                        actor=Actor.USER.value,
                        occurred_at=self.clock(),
                        payload={
                            "deleted": counts[kind],
                            "older_than": older_than,
                            "cutoff": cutoff.isoformat(),
                            "all_projects": target is None,
                        },
                    )
            return PruneReport(counts, False, cutoff.isoformat())
