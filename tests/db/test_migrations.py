"""Migrations: one history for both engines, idempotent, loss-free, and equal to schema.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import IntegrityError

from aidis.db.engine import build_engine
from aidis.db.migrate import current_revision, downgrade, head_revision, upgrade
from aidis.db.schema import metadata
from tests.support import SENTINEL, fresh_database_url

# Objects that exist only in the database, on purpose: full-text search helpers.
_DB_ONLY = {"contexts_fts", "search_vector", "ix_contexts_search_vector", "alembic_version"}


def _include(obj, name, type_, reflected, compare_to):
    return not (name in _DB_ONLY or (name or "").startswith("contexts_fts"))


def _unassigned_session(conn: Connection, sid: str, t: datetime) -> None:
    """One open session in Unassigned, written with raw SQL (any revision since 0001 accepts it)."""
    conn.execute(
        text(
            "INSERT INTO sessions (id, display_id, project_id, status, started_at, last_activity_at) "
            "VALUES (:i, 'SES-2026-00001', :p, 'active', :t, :t)"
        ),
        {"i": sid, "p": SENTINEL, "t": t},
    )


def test_upgrade_creates_every_table_and_is_at_head(engine_name: str, tmp_path: Path) -> None:
    with fresh_database_url(engine_name, tmp_path) as url:
        engine = build_engine(url)
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        tables = set(inspect(engine).get_table_names())
        assert {"projects", "sessions", "session_project_changes", "analytics_events", "contexts"} <= tables
        engine.dispose()


def test_migrated_schema_matches_schema_module(engine_name: str, tmp_path: Path) -> None:
    with fresh_database_url(engine_name, tmp_path) as url:
        engine = build_engine(url)
        upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"include_object": _include, "compare_type": False}
            )
            diff = compare_metadata(context, metadata)
        engine.dispose()
    assert diff == []


def test_upgrade_twice_is_a_no_op(engine_name: str, tmp_path: Path) -> None:
    with fresh_database_url(engine_name, tmp_path) as url:
        engine = build_engine(url)
        upgrade(engine)
        with engine.connect() as conn:
            before = conn.execute(text("SELECT id, name, created_at FROM projects")).all()
        upgrade(engine)
        with engine.connect() as conn:
            after = conn.execute(text("SELECT id, name, created_at FROM projects")).all()
            sentinels = conn.execute(
                text("SELECT count(*) FROM projects WHERE id = :s"), {"s": SENTINEL}
            ).scalar_one()
        engine.dispose()
    assert before == after
    assert sentinels == 1


def test_upgrade_of_a_database_holding_data_loses_nothing(engine_name: str, tmp_path: Path) -> None:
    """Data written at an older revision survives re-running the upgrade path to head."""
    with fresh_database_url(engine_name, tmp_path) as url:
        engine = build_engine(url)
        upgrade(engine, "0001")
        pid = str(uuid.uuid4())
        t = datetime(2026, 2, 1, tzinfo=UTC).replace(tzinfo=None)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO projects (id, name, status, created_at, updated_at) VALUES (:i, 'kept', 'active', :t, :t)"
                ),
                {"i": pid, "t": t},
            )
            for n in range(25):
                conn.execute(
                    text(
                        "INSERT INTO sessions (id, display_id, project_id, status, started_at, last_activity_at) "
                        "VALUES (:i, :d, :p, 'active', :t, :t)"
                    ),
                    {"i": str(uuid.uuid4()), "d": f"SES-2026-{n:05d}", "p": pid, "t": t},
                )
        upgrade(engine)
        with engine.connect() as conn:
            kept = conn.execute(
                text("SELECT count(*) FROM sessions WHERE project_id = :p"), {"p": pid}
            ).scalar_one()
            name = conn.execute(text("SELECT name FROM projects WHERE id = :p"), {"p": pid}).scalar_one()
        engine.dispose()
    assert kept == 25
    assert name == "kept"


def test_downgrade_then_upgrade_round_trips(engine_name: str, tmp_path: Path) -> None:
    with fresh_database_url(engine_name, tmp_path) as url:
        engine = build_engine(url)
        upgrade(engine)
        downgrade(engine, "base")
        assert "sessions" not in inspect(engine).get_table_names()
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        engine.dispose()


def test_0004_keeps_every_change_row_and_its_check_accepts_the_new_reasons(
    engine_name: str, tmp_path: Path
) -> None:
    """The reason CHECK is rebuilt (SQLite copies the table): history must survive, new reasons pass,
    unknown ones still fail."""
    with fresh_database_url(engine_name, tmp_path) as url:
        engine = build_engine(url)
        upgrade(engine, "0003")
        sid = str(uuid.uuid4())
        t = datetime(2026, 2, 1, tzinfo=UTC).replace(tzinfo=None)
        with engine.begin() as conn:
            _unassigned_session(conn, sid, t)
            for reason in ("explicit_assign", "backfill", "bulk_assign"):
                conn.execute(
                    text(
                        "INSERT INTO session_project_changes (session_id, from_project_id, to_project_id, "
                        "changed_at, reason, actor, details) VALUES (:s, :p, :p, :t, :r, 'user', '{}')"
                    ),
                    {"s": sid, "p": SENTINEL, "t": t, "r": reason},
                )
        upgrade(engine)
        insert_change = text(
            "INSERT INTO session_project_changes (session_id, from_project_id, to_project_id, changed_at, "
            "reason, actor, details) VALUES (:s, :p, :p, :t, :r, 'system', '{}')"
        )
        with engine.begin() as conn:
            reasons = sorted(conn.execute(text("SELECT reason FROM session_project_changes")).scalars())
            for reason in ("workspace", "merge"):
                conn.execute(insert_change, {"s": sid, "p": SENTINEL, "t": t, "r": reason})
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert_change, {"s": sid, "p": SENTINEL, "t": t, "r": "guessed"})
        engine.dispose()
    assert reasons == ["backfill", "bulk_assign", "explicit_assign"]


def test_0012_indexes_the_contexts_written_before_it_by_project(engine_name: str, tmp_path: Path) -> None:
    """Contexts stored before the full-text index knew projects are found by a scoped search after
    it, and (SQLite) each key's row count and each index row's key are in place; going back to 0011
    leaves the previous index working."""
    from aidis.repositories.context_search import keyword_ranked
    from aidis.repositories.contexts import ContextFilter
    from aidis.search_syntax import parse_query

    with fresh_database_url(engine_name, tmp_path) as url:
        engine = build_engine(url)
        upgrade(engine, "0011")
        pids = [uuid.uuid4(), uuid.uuid4()]
        t = datetime(2026, 2, 1, tzinfo=UTC).replace(tzinfo=None)
        with engine.begin() as conn:
            for n, pid in enumerate(pids):
                conn.execute(
                    text(
                        "INSERT INTO projects (id, name, status, created_at, updated_at) "
                        "VALUES (:i, :n, 'active', :t, :t)"
                    ),
                    {"i": str(pid), "n": f"p{n}", "t": t},
                )
            for n in range(5):
                conn.execute(
                    text(
                        "INSERT INTO contexts (id, project_id, context_type, content, search_text, tags, "
                        "created_at, metadata) VALUES (:i, :p, 'note', :c, :c, '[]', :t, '{}')"
                    ),
                    {"i": str(uuid.uuid4()), "p": str(pids[n % 2]), "c": f"indexed note {n}", "t": t},
                )
        upgrade(engine)
        with engine.connect() as conn:
            found = [
                len(
                    keyword_ranked(
                        conn, parse_query("indexed note"), ContextFilter(project_ids=[p]), limit=10
                    )
                )
                for p in pids
            ]
            if engine_name == "sqlite":
                counts = dict(conn.execute(text("SELECT project_key, rows FROM contexts_fts_projects")).all())
                assert counts == {f"p{pids[0].hex}": 3, f"p{pids[1].hex}": 2}
                mapped = conn.execute(
                    text(
                        "SELECT count(*) FROM contexts c JOIN contexts_fts_rowids m ON m.context_id = c.id "
                        "JOIN contexts_fts f ON f.rowid = m.fts_rowid AND f.context_id = c.id"
                    )
                ).scalar_one()
                assert mapped == 5
        downgrade(engine, "0011")
        with engine.connect() as conn:
            if engine_name == "sqlite":
                again = conn.execute(
                    text("SELECT count(*) FROM contexts_fts WHERE contexts_fts MATCH 'indexed'")
                ).scalar_one()
                assert again == 5
        engine.dispose()
    assert found == [3, 2]


def test_0013_counts_the_evidence_of_events_written_before_it(engine_name: str, tmp_path: Path) -> None:
    """Events naming a legacy project, written at 0012, are counted per session and project by the
    upgrade (what a backfill then reads), and events written after it by the triggers; 0012 again
    drops the table and its triggers (events still insert)."""
    with fresh_database_url(engine_name, tmp_path) as url:
        engine = build_engine(url)
        upgrade(engine, "0012")
        sid, pid = str(uuid.uuid4()), str(uuid.uuid4())
        t = datetime(2026, 2, 1, tzinfo=UTC).replace(tzinfo=None)

        document = "CAST(:payload AS JSONB)" if engine_name == "postgresql" else ":payload"

        def event(conn: Connection, payload: str) -> None:
            conn.execute(
                text(
                    "INSERT INTO analytics_events (occurred_at, actor, event_type, project_id, session_id, payload) "
                    f"VALUES (:t, 'system', 'tool_call', :p, :s, {document})"
                ),
                {"t": t, "p": SENTINEL, "s": sid, "payload": payload},
            )

        with engine.begin() as conn:
            _unassigned_session(conn, sid, t)
            for _ in range(3):
                event(conn, f'{{"legacy_project_id": "{pid}"}}')
            event(conn, "{}")
        upgrade(engine)
        with engine.begin() as conn:
            event(conn, f'{{"legacy_project_id": "{pid}"}}')
            counted = conn.execute(text("SELECT session_id, project_key, events FROM session_evidence")).all()
        assert [(str(s), k, int(n)) for s, k, n in counted] == [(sid, pid, 4)]
        downgrade(engine, "0012")
        with engine.begin() as conn:
            event(conn, f'{{"legacy_project_id": "{pid}"}}')
            tables = inspect(conn).get_table_names()
        assert "session_evidence" not in tables
        engine.dispose()


def test_0015_keeps_the_per_model_totals_of_sessions_recorded_before_it(
    engine_name: str, tmp_path: Path
) -> None:
    """A session whose transcript was read at 0014 keeps its per-model totals in metadata: the upgrade
    writes them as usage rows in the hour the session started (so `aidis check` finds them adding up),
    and a session with estimated tokens gets none; 0014 again drops the table."""
    with fresh_database_url(engine_name, tmp_path) as url:
        engine = build_engine(url)
        upgrade(engine, "0014")
        exact, estimated = str(uuid.uuid4()), str(uuid.uuid4())
        t = datetime(2026, 2, 1, 9, 41, tzinfo=UTC).replace(tzinfo=None)
        document = "CAST(:m AS JSONB)" if engine_name == "postgresql" else ":m"
        models = '{"claude-opus-4-8": {"input": 10, "output": 5, "cache_creation": 20, "cache_read": 300}}'
        with engine.begin() as conn:
            for sid, number, meta in (
                (exact, 1, f'{{"tokens": "exact", "transcript": {{"models": {models}}}}}'),
                (estimated, 2, '{"transcript": {"models": {}}}'),
            ):
                conn.execute(
                    text(
                        "INSERT INTO sessions (id, display_id, project_id, status, started_at, last_activity_at, "
                        f"input_tokens, output_tokens, metadata) VALUES (:i, :d, :p, 'active', :t, :t, 330, 5, {document})"
                    ),
                    {"i": sid, "d": f"SES-2026-0000{number}", "p": SENTINEL, "t": t, "m": meta},
                )
        upgrade(engine)
        with engine.begin() as conn:
            rows = conn.execute(
                text(
                    "SELECT session_id, hour, model, input_tokens, output_tokens, cache_write_tokens, "
                    "cache_read_tokens FROM session_usage"
                )
            ).all()
        assert [(str(r[0]), r[2], r[3], r[4], r[5], r[6]) for r in rows] == [
            (exact, "claude-opus-4-8", 10, 5, 20, 300)
        ]
        assert str(rows[0][1]).startswith("2026-02-01 09:00")
        downgrade(engine, "0014")
        with engine.begin() as conn:
            assert "session_usage" not in inspect(conn).get_table_names()
        engine.dispose()


def test_0016_rolls_up_the_usage_written_before_it_and_keeps_it_after(
    engine_name: str, tmp_path: Path
) -> None:
    """Usage rows written at 0015 are summed into the rollups by the upgrade; rows written after it, and a
    session moved, are kept by the triggers; 0015 again drops the rollups."""
    with fresh_database_url(engine_name, tmp_path) as url:
        engine = build_engine(url)
        upgrade(engine, "0015")
        sid = str(uuid.uuid4())
        t = datetime(2026, 2, 1, 9, tzinfo=UTC).replace(tzinfo=None)
        usage = (
            "INSERT INTO session_usage (session_id, hour, model, input_tokens, output_tokens) "
            "VALUES (:s, :h, 'm', :i, 5)"
        )
        with engine.begin() as conn:
            _unassigned_session(conn, sid, t)
            conn.execute(text(usage), {"s": sid, "h": t, "i": 10})
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(text(usage), {"s": sid, "h": t.replace(hour=10), "i": 20})
            project = str(uuid.uuid4())
            conn.execute(
                text(
                    "INSERT INTO projects (id, name, created_at, updated_at) VALUES (:p, 'moved-here', :t, :t)"
                ),
                {"p": project, "t": t},
            )
            conn.execute(text("UPDATE sessions SET project_id = :p WHERE id = :s"), {"p": project, "s": sid})
            kept = conn.execute(
                text(
                    "SELECT project_id, sum(input_tokens) FROM usage_rollups GROUP BY project_id HAVING sum(input_tokens) <> 0"
                )
            ).all()
        assert [(str(p), int(n)) for p, n in kept] == [(project, 30)]
        downgrade(engine, "0015")
        with engine.begin() as conn:
            assert "usage_rollups" not in inspect(conn).get_table_names()
        engine.dispose()


def test_0018_ranks_the_usage_written_before_it_and_keeps_the_ranks_after(
    engine_name: str, tmp_path: Path
) -> None:
    """Usage written at 0017 gets its session's rank (first and last hour, tokens; weight 0 until AIDIS
    writes rates); after it, the triggers add and take each row's weight at the rates then in force;
    0017 again drops the tables."""
    with fresh_database_url(engine_name, tmp_path) as url:
        engine = build_engine(url)
        upgrade(engine, "0017")
        sid = str(uuid.uuid4())
        t = datetime(2026, 2, 1, 9, tzinfo=UTC).replace(tzinfo=None)
        usage = (
            "INSERT INTO session_usage (session_id, hour, model, input_tokens, output_tokens) "
            "VALUES (:s, :h, 'm', :i, :o)"
        )
        with engine.begin() as conn:
            _unassigned_session(conn, sid, t)
            conn.execute(text(usage), {"s": sid, "h": t, "i": 10, "o": 5})
            conn.execute(text(usage), {"s": sid, "h": t.replace(hour=11), "i": 20, "o": 5})
        upgrade(engine)
        rank = "SELECT first_hour, last_hour, tokens, weight FROM usage_session_ranks WHERE session_id = :s"
        with engine.begin() as conn:
            first, last, tokens, weight = conn.execute(text(rank), {"s": sid}).one()
            assert (_naive(first), _naive(last), int(tokens), float(weight)) == (
                t,
                t.replace(hour=11),
                40,
                0.0,
            )
            conn.execute(
                text(
                    "INSERT INTO usage_weights (model, input, output, cache_write, cache_read) "
                    "VALUES ('m', 3.0, 15.0, 3.75, 0.3)"
                )
            )
            conn.execute(text(usage), {"s": sid, "h": t.replace(hour=12), "i": 1_000_000, "o": 100_000})
            _, last, tokens, weight = conn.execute(text(rank), {"s": sid}).one()
            assert (_naive(last), int(tokens)) == (t.replace(hour=12), 1_100_040)
            assert abs(float(weight) - 4.5) < 1e-9  # 1M input at $3 + 100k output at $15
            conn.execute(text("DELETE FROM session_usage WHERE hour = :h"), {"h": t.replace(hour=12)})
            _, _, tokens, weight = conn.execute(text(rank), {"s": sid}).one()
            assert (int(tokens), abs(float(weight)) < 1e-9) == (40, True)
        downgrade(engine, "0017")
        with engine.begin() as conn:
            names = inspect(conn).get_table_names()
        assert "usage_session_ranks" not in names and "usage_weights" not in names
        engine.dispose()


def _naive(moment: datetime) -> datetime:
    return (
        moment.replace(tzinfo=None) if isinstance(moment, datetime) else datetime.fromisoformat(str(moment))
    )
