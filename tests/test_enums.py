"""Enums live in one module, and the database's CHECK constraints accept exactly their values."""

from __future__ import annotations

import importlib.util
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from aidis import enums
from aidis.db.migrate import MIGRATIONS_DIR
from tests.support import SENTINEL, Database

T = datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)


def _migration(name: str = "0001_initial"):
    spec = importlib.util.spec_from_file_location(f"m{name}", MIGRATIONS_DIR / "versions" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_latest_change_reason_constraint_matches_the_enum() -> None:
    # 0004 widened the reasons (workspace); its list is the one in force.
    assert tuple(_migration("0004_project_workspaces").REASONS_AFTER) == tuple(
        enums.values(enums.ChangeReason)
    )
    assert tuple(_migration().CHANGE_REASON) == tuple(_migration("0004_project_workspaces").REASONS_BEFORE)


def test_the_latest_event_type_constraint_matches_the_enum() -> None:
    # 0006 widened the event types (context edits, pruning); its list is the one in force.
    latest = _migration("0006_memory_edits")
    assert tuple(latest.EVENTS_AFTER) == tuple(enums.values(enums.EventType))
    assert tuple(_migration().EVENT_TYPE) == tuple(latest.EVENTS_BEFORE)


@pytest.mark.parametrize(
    ("frozen", "enum_cls"),
    [
        ("SESSION_STATUS", enums.SessionStatus),
        ("END_REASON", enums.EndReason),
        ("EVENT_STATUS", enums.EventStatus),
        ("ACTOR", enums.Actor),
        ("PROJECT_STATUS", enums.ProjectStatus),
        ("CONTEXT_TYPE", enums.ContextType),
    ],
)
def test_migration_constraints_match_enums(frozen: str, enum_cls) -> None:
    assert tuple(getattr(_migration(), frozen)) == tuple(enums.values(enum_cls))


def test_every_end_reason_maps_to_a_terminal_status() -> None:
    for reason in enums.EndReason:
        assert reason.status in enums.SessionStatus
        assert reason.status != enums.SessionStatus.ACTIVE


def _event(conn, **overrides) -> None:
    values = {"t": T, "actor": "agent", "type": "tool_call", "p": SENTINEL, "status": "ok"}
    values.update(overrides)
    conn.execute(
        text(
            "INSERT INTO analytics_events (occurred_at, actor, event_type, project_id, status) "
            "VALUES (:t, :actor, :type, :p, :status)"
        ),
        values,
    )


def test_database_accepts_every_enum_value_and_refuses_others(db: Database) -> None:
    with db.engine.begin() as conn:
        for actor in enums.Actor:
            _event(conn, actor=actor.value)
        for event_type in enums.EventType:
            _event(conn, type=event_type.value)
        for context_type in enums.ContextType:
            conn.execute(
                text(
                    "INSERT INTO contexts (id, project_id, context_type, content, search_text, created_at) "
                    "VALUES (:i, :p, :c, 'x', 'x', :t)"
                ),
                {"i": str(uuid.uuid4()), "p": SENTINEL, "c": context_type.value, "t": T},
            )
    for bad in ({"actor": "robot"}, {"type": "mystery"}, {"status": "maybe"}):
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            _event(conn, **bad)
