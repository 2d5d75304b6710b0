"""Each Unassigned session's project evidence is counted as its events are written and removed, is
what `aidis backfill` decides by, and `aidis check` catches evidence that disagrees with the events,
which `check --fix` recounts — on both engines."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, insert, select, update

from aidis.app import AppContext
from aidis.db.schema import analytics_events, session_evidence
from aidis.enums import SENTINEL_PROJECT_ID
from aidis.services.caller import Caller


def _orphan(app: AppContext, name: str) -> uuid.UUID:
    """A session in Unassigned (an agent with no project), started by a call."""
    stored = app.contexts.store(Caller(connection_id=name), f"note of {name}")
    assert stored.session is not None and stored.session.project_id == SENTINEL_PROJECT_ID
    return stored.session.id


def _event(app: AppContext, session_id: uuid.UUID, payload: dict[str, Any]) -> None:
    with app.engine.begin() as conn:
        conn.execute(
            insert(analytics_events).values(
                occurred_at=app.clock(),
                actor="system",
                event_type="tool_call",
                project_id=SENTINEL_PROJECT_ID,
                session_id=session_id,
                payload=payload,
            )
        )


def _evidence(app: AppContext, session_id: uuid.UUID) -> dict[str, int]:
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(session_evidence.c.project_key, session_evidence.c.events).where(
                session_evidence.c.session_id == session_id
            )
        ).all()
    return {row.project_key: int(row.events) for row in rows}


def test_events_naming_a_project_are_counted_as_written_and_as_deleted(app: AppContext) -> None:
    alpha, beta = app.projects.create("alpha").id, app.projects.create("beta").id
    session = _orphan(app, "counted")
    for project in (alpha, alpha, beta):
        _event(app, session, {"legacy_project_id": str(project)})
    for payload in ({}, {"legacy_project_id": 7}, {"legacy_project_id": None}, {"other": "x"}):
        _event(app, session, payload)  # no text in the field: no evidence, and the insert never fails
    _event(app, session, {"legacy_project_id": "not-a-uuid"})  # text, kept as written, names no project
    assert _evidence(app, session) == {str(alpha): 2, str(beta): 1, "not-a-uuid": 1}
    with app.engine.begin() as conn:  # retention deleting old events takes their evidence away
        conn.execute(
            delete(analytics_events).where(
                analytics_events.c.session_id == session,
                analytics_events.c.payload["legacy_project_id"].as_string() == str(beta),
            )
        )
    assert _evidence(app, session) == {str(alpha): 2, "not-a-uuid": 1}
    report = app.backfill.run()
    assert report.assigned == 1 and report.by_project == [("alpha", 1)]


def test_check_catches_evidence_that_disagrees_with_the_events_and_fix_recounts_it(app: AppContext) -> None:
    alpha, beta = app.projects.create("alpha").id, app.projects.create("beta").id
    tampered, dropped = _orphan(app, "tampered"), _orphan(app, "dropped")
    for _ in range(3):
        _event(app, tampered, {"legacy_project_id": str(alpha)})
    _event(app, dropped, {"legacy_project_id": str(beta)})
    assert app.integrity.check().counts()["evidence_mismatch"] == 0
    with app.engine.begin() as conn:
        conn.execute(
            update(session_evidence).where(session_evidence.c.session_id == tampered).values(events=1)
        )
        conn.execute(delete(session_evidence).where(session_evidence.c.session_id == dropped))
        conn.execute(  # evidence for events that do not exist
            insert(session_evidence).values(session_id=tampered, project_key=str(beta), events=5)
        )
    assert app.integrity.check().counts()["evidence_mismatch"] == 3
    # a backfill decides by the evidence as counted: the tampered session has a 5 : 1 majority for beta
    # and the dropped one no evidence at all
    assert app.backfill.run(min_share=0.8, dry_run=True).by_project == [("beta", 1)]
    fixed = app.integrity.fix()
    assert fixed.fixes["evidence_mismatch"] == 3 and fixed.counts()["evidence_mismatch"] == 0
    assert _evidence(app, tampered) == {str(alpha): 3} and _evidence(app, dropped) == {str(beta): 1}
    assert sorted(app.backfill.run().by_project) == [("alpha", 1), ("beta", 1)]
