"""Memory can be corrected, forgotten, restored and purged; duplicates and keyed stores never make a
second row; counters and `aidis check` stay exact through every path (asserted on database rows)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from aidis.app import AppContext
from aidis.enums import ContextType
from aidis.errors import Conflict, InvalidInput, NotFound
from aidis.services.caller import Caller
from aidis.services.memory.reads import ContextQuery
from tests.support import FakeClock

AGENT = Caller("agent-1", "claude-code")


def _violations(app: AppContext) -> dict[str, int]:
    return {name: n for name, n in app.integrity.check().counts().items() if n}


def _row(app: AppContext, context_id: uuid.UUID) -> dict[str, object]:
    with app.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT content, revision, deleted_at, purged_at, topic_key, seen_count FROM contexts WHERE id = :i"
            ),
            {"i": str(context_id) if app.engine.dialect.name == "sqlite" else context_id},
        ).one()
    return dict(row._mapping)


def _revision_texts(app: AppContext, context_id: uuid.UUID) -> list[str]:
    with app.engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT content FROM context_revisions WHERE context_id = :i ORDER BY revision"),
                {"i": str(context_id) if app.engine.dialect.name == "sqlite" else context_id},
            ).scalars()
        )


def _events(app: AppContext, event_type: str) -> list[dict[str, object]]:
    with app.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT actor, payload, context_id FROM analytics_events WHERE event_type = :t"),
            {"t": event_type},
        )
        return [dict(r._mapping) for r in rows]


def _session_contexts(app: AppContext, connection: str) -> int:
    status = app.sessions.status(connection)
    assert status is not None
    return status.context_count


def test_the_same_text_again_is_one_context_seen_twice(app: AppContext, clock: FakeClock) -> None:
    first = app.contexts.store(AGENT, "Use  the retry\nbudget of 3.")
    clock.advance(hours=2)
    again = app.contexts.store(AGENT, "Use the retry budget of 3.  ")
    assert first.outcome == "stored" and again.outcome == "duplicate"
    assert again.context.id == first.context.id and again.context.seen_count == 2
    other_type = app.contexts.store(AGENT, "Use the retry budget of 3.", context_type=ContextType.DECISION)
    assert other_type.outcome == "stored"
    assert _session_contexts(app, AGENT.connection_id) == 2
    assert len(_events(app, "context_seen")) == 1
    clock.advance(hours=25)  # past the window: a new memory
    assert app.contexts.store(AGENT, "Use the retry budget of 3.").outcome == "stored"
    assert _violations(app) == {}


def test_a_key_makes_store_an_upsert_that_keeps_revisions(app: AppContext, clock: FakeClock) -> None:
    first = app.contexts.store(AGENT, "auth: sessions in cookies", key="decision/auth")
    clock.advance(minutes=5)
    second = app.contexts.store(AGENT, "auth: short-lived tokens", key="decision/auth", tags=["auth"])
    same = app.contexts.store(AGENT, "auth: short-lived tokens", key="decision/auth", tags=["auth"])
    assert second.outcome == "updated" and same.outcome == "duplicate"
    assert second.context.id == first.context.id and second.context.revision == 2
    assert _revision_texts(app, first.context.id) == ["auth: sessions in cookies"]
    (full,) = app.context_reads.get([first.context.id], with_revisions=True)
    assert full.context.content == "auth: short-lived tokens"
    assert [r.content for r in full.revisions] == ["auth: sessions in cookies"]
    assert _session_contexts(app, AGENT.connection_id) == 1
    assert _violations(app) == {}


def test_update_keeps_the_previous_version_and_redacts_before_writing(app: AppContext) -> None:
    stored = app.contexts.store(AGENT, "deploy with the old script")
    secret = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    edited = app.context_edits.update(AGENT, stored.context.id, content=f"deploy with make; token {secret}")
    assert edited.action == "updated" and edited.context.revision == 2
    row = _row(app, stored.context.id)
    assert secret not in str(row["content"]) and "[REDACTED:" in str(row["content"])
    assert _revision_texts(app, stored.context.id) == ["deploy with the old script"]
    assert sum(edited.redactions.values()) == 1
    unchanged = app.context_edits.update(AGENT, stored.context.id, tags=[])
    assert unchanged.action == "unchanged" and unchanged.context.revision == 2
    assert _violations(app) == {}


def test_delete_hides_restore_brings_back_and_counters_follow(app: AppContext) -> None:
    stored = app.contexts.store(AGENT, "a note about caching layers")
    app.contexts.store(AGENT, "another note")
    assert _session_contexts(app, AGENT.connection_id) == 2
    deleted = app.context_edits.delete(AGENT, stored.context.id, reason="wrong")
    assert deleted.action == "deleted"
    assert _session_contexts(app, AGENT.connection_id) == 1
    assert app.context_reads.search(AGENT, "caching", ContextQuery()).items == []
    assert stored.context.id not in [h.id for h in app.context_reads.recent(AGENT, ContextQuery()).items]
    assert [h.id for h in app.context_reads.recent(AGENT, ContextQuery(deleted=True)).items] == [
        stored.context.id
    ]
    assert app.stats.totals()["contexts"] == 1
    assert _violations(app) == {}
    restored = app.context_edits.restore(AGENT, stored.context.id)
    assert restored.action == "restored"
    assert _session_contexts(app, AGENT.connection_id) == 2
    assert [h.id for h in app.context_reads.search(AGENT, "caching", ContextQuery()).items] == [
        stored.context.id
    ]
    assert _violations(app) == {}


def test_purge_removes_the_text_for_good_and_leaves_a_tombstone(app: AppContext) -> None:
    stored = app.contexts.store(AGENT, "the database password is hunter2 (oops)", key="oops")
    app.context_edits.update(AGENT, stored.context.id, content="the database password is hunter3")
    purged = app.context_edits.delete(AGENT, stored.context.id, purge=True, reason="pasted a password")
    assert purged.action == "purged" and purged.revisions_removed == 1
    row = _row(app, stored.context.id)
    assert row["content"] == "" and row["purged_at"] is not None and row["topic_key"] is None
    assert _revision_texts(app, stored.context.id) == []
    with app.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM contexts WHERE content LIKE '%hunter%'")).scalar_one()
            == 0
        )
    (tombstone,) = _events(app, "context_purged")
    assert tombstone["actor"] == "agent" and "pasted a password" in str(tombstone["payload"])
    with pytest.raises(Conflict):
        app.context_edits.restore(AGENT, stored.context.id)
    assert _session_contexts(app, AGENT.connection_id) == 0
    assert _violations(app) == {}


def test_an_agent_changes_only_its_own_projects_contexts_unless_it_names_the_project(app: AppContext) -> None:
    app.projects.create("alpha")
    app.projects.create("beta")
    other = Caller("agent-2")
    app.sessions.switch_project(other.connection_id, "beta")
    theirs = app.contexts.store(other, "beta's decision")
    app.sessions.switch_project(AGENT.connection_id, "alpha")
    app.contexts.store(AGENT, "alpha work")
    with pytest.raises(NotFound) as refused:
        app.context_edits.delete(AGENT, theirs.context.id)
    assert refused.value.field == "id"
    assert _row(app, theirs.context.id)["deleted_at"] is None
    assert app.context_edits.delete(AGENT, theirs.context.id, project="beta").action == "deleted"
    assert app.context_edits.restore(None, theirs.context.id).action == "restored"  # a person may
    assert _violations(app) == {}


def test_restoring_a_context_whose_key_was_taken_again_is_refused(app: AppContext) -> None:
    first = app.contexts.store(AGENT, "plan A", key="plan")
    app.context_edits.delete(AGENT, first.context.id)
    second = app.contexts.store(AGENT, "plan B", key="plan")
    assert second.context.id != first.context.id and second.outcome == "stored"
    with pytest.raises(Conflict) as refused:
        app.context_edits.restore(AGENT, first.context.id)
    assert str(second.context.id) in refused.value.message
    assert _row(app, first.context.id)["deleted_at"] is not None


def test_bad_edits_name_the_field_and_change_nothing(app: AppContext) -> None:
    stored = app.contexts.store(AGENT, "keep me")
    before = _row(app, stored.context.id)
    for call, field in (
        (lambda: app.context_edits.update(AGENT, stored.context.id), "content"),
        (lambda: app.context_edits.update(AGENT, stored.context.id, content="   "), "content"),
        (lambda: app.context_edits.update(AGENT, stored.context.id, tags=[""]), "tags[0]"),
        (lambda: app.context_edits.update(AGENT, uuid.uuid4(), content="x"), "id"),
        (lambda: app.contexts.store(AGENT, "x", key=" "), "key"),
        (lambda: app.context_edits.delete(AGENT, stored.context.id, reason="r" * 501), "reason"),
    ):
        with pytest.raises((InvalidInput, NotFound)) as refused:
            call()
        assert refused.value.field == field
    assert _row(app, stored.context.id) == before


def test_keys_and_delete_reasons_are_redacted_before_they_are_written(app: AppContext) -> None:
    secret = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"
    stored = app.contexts.store(AGENT, "keyed note", key=f"deploy/{secret}")
    assert secret not in str(_row(app, stored.context.id)["topic_key"])
    assert "[REDACTED:" in str(_row(app, stored.context.id)["topic_key"])
    app.context_edits.delete(AGENT, stored.context.id, reason=f"pasted {secret} by mistake")
    with app.engine.connect() as conn:
        written = " ".join(
            str(p) for p in conn.execute(text("SELECT payload FROM analytics_events")).scalars()
        )
    assert secret not in written and "[REDACTED:" in written
