"""Set-based SQL that generates large synthetic data sets (for benchmarks), one statement per table."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Connection, text

from aidis.enums import SENTINEL_PROJECT_ID

DEMO_PREFIX = "SES-DEMO-"


def insert_sessions(
    conn: Connection,
    *,
    project_ids: list[uuid.UUID],
    count: int,
    start_number: int,
    now: datetime,
    days: int,
    unassigned_every: int,
    events_per_session: int,
) -> None:
    """`count` ended sessions spread over `days` before `now`; every `unassigned_every`-th is Unassigned.

    Every generated time is before `now` (a session lasts at most 7,260 s and starts at least 7,300 s ago).
    """
    params = {
        "n": count,
        "first": start_number,
        "days": days,
        "every": unassigned_every,
        "k": events_per_session,
        "sentinel": str(SENTINEL_PROJECT_ID),
        "np": len(project_ids),
    }
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                """
                INSERT INTO sessions (id, display_id, project_id, agent_type, title, status, started_at,
                    last_activity_at, ended_at, end_reason, input_tokens, output_tokens, context_count,
                    event_count, tool_call_count, metadata)
                SELECT gen_random_uuid(), :prefix || lpad((:first + g)::text, 9, '0'),
                       CASE WHEN g % :every = 0 THEN CAST(:sentinel AS uuid)
                            ELSE (CAST(:ids AS uuid[]))[1 + (g % :np)] END,
                       (ARRAY['claude-code', 'cursor', 'codex'])[1 + g % 3], 'Generated session ' || g, 'ended',
                       t.start, t.start + t.dur, t.start + t.dur, 'explicit',
                       (g * 37) % 20000, (g * 11) % 8000, 0, :k, GREATEST(:k - 2, 0), '{}'
                FROM generate_series(1, :n) AS g,
                     LATERAL (SELECT CAST(:now AS timestamptz) - make_interval(secs => 7300 + (g * 7919) % (:days * 86400)) AS start,
                                     make_interval(secs => 60 + (g * 131) % 7200) AS dur) AS t
                """
            ),
            {**params, "prefix": DEMO_PREFIX, "ids": [str(p) for p in project_ids], "now": now},
        )
        return
    ids_json = ",".join(f'"{p}"' for p in project_ids)
    conn.execute(
        text(
            """
            WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :n),
            p(idx, id) AS (SELECT row_number() OVER () - 1, value FROM json_each('[' || :ids_json || ']')),
            t AS (SELECT n, :now_epoch - 7300 - (n * 7919) % (:days * 86400) AS start_s, 60 + (n * 131) % 7200 AS dur_s FROM g)
            INSERT INTO sessions (id, display_id, project_id, agent_type, title, status, started_at,
                last_activity_at, ended_at, end_reason, input_tokens, output_tokens, context_count, event_count,
                tool_call_count, metadata)
            SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2)
                         || '-a' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
                   :prefix || substr('000000000' || (:first + t.n), -9),
                   CASE WHEN t.n % :every = 0 THEN :sentinel
                        ELSE (SELECT id FROM p WHERE idx = t.n % :np) END,
                   CASE t.n % 3 WHEN 0 THEN 'claude-code' WHEN 1 THEN 'cursor' ELSE 'codex' END,
                   'Generated session ' || t.n, 'ended',
                   strftime('%Y-%m-%d %H:%M:%S', t.start_s, 'unixepoch') || '.000000',
                   strftime('%Y-%m-%d %H:%M:%S', t.start_s + t.dur_s, 'unixepoch') || '.000000',
                   strftime('%Y-%m-%d %H:%M:%S', t.start_s + t.dur_s, 'unixepoch') || '.000000', 'explicit',
                   (t.n * 37) % 20000, (t.n * 11) % 8000, 0, :k, max(:k - 2, 0), '{}'
            FROM t
            """
        ),
        {**params, "prefix": DEMO_PREFIX, "ids_json": ids_json, "now_epoch": int(now.timestamp())},
    )


def insert_events(
    conn: Connection, *, events_per_session: int, evidence_for: list[uuid.UUID] | None = None
) -> int:
    """`events_per_session` events per generated session: a start, tool calls, an end; returns how many.

    With `evidence_for`, every event carries a `legacy_project_id` (what `aidis backfill` reads): the
    n-th session's events name project n % len(evidence_for), except every tenth session, whose
    even-numbered events name other projects — evidence split in half, which backfill must leave alone.
    """
    k = events_per_session
    params: dict[str, object] = {"k": k, "prefix": DEMO_PREFIX + "%", "skip": len(DEMO_PREFIX) + 1}
    pg = conn.dialect.name == "postgresql"
    pick = "(CAST(substr(s.display_id, :skip) AS INTEGER) + CASE WHEN CAST(substr(s.display_id, :skip) AS INTEGER) % 10 = 0 AND k.i % 2 = 0 THEN k.i ELSE 0 END) % :np"
    if evidence_for:
        params["np"] = len(evidence_for)
        if pg:
            params["ids"] = [str(p) for p in evidence_for]
            payload = f"jsonb_build_object('legacy_project_id', (CAST(:ids AS text[]))[1 + {pick}])"
        else:
            params["ids_json"] = ",".join(f'"{p}"' for p in evidence_for)
            payload = f"json_object('legacy_project_id', (SELECT id FROM p WHERE idx = {pick}))"
    else:
        payload = "'{}'"
    if pg:
        result = conn.execute(
            text(
                f"""
                INSERT INTO analytics_events (occurred_at, actor, event_type, project_id, session_id, tool_name,
                    status, payload)
                SELECT CASE WHEN k.i = :k THEN s.ended_at ELSE s.started_at + make_interval(secs => k.i) END,
                       'agent',
                       CASE WHEN k.i = 1 THEN 'session_start' WHEN k.i = :k THEN 'session_end' ELSE 'tool_call' END,
                       s.project_id, s.id, CASE WHEN k.i IN (1, :k) THEN NULL ELSE 'context_store' END, 'ok',
                       {payload}
                FROM sessions s CROSS JOIN generate_series(1, :k) AS k(i)
                WHERE s.display_id LIKE :prefix
                  AND NOT EXISTS (SELECT 1 FROM analytics_events e WHERE e.session_id = s.id)
                """
            ),
            params,
        )
        return int(result.rowcount)
    projects_cte = (
        ", p(idx, id) AS MATERIALIZED (SELECT key, value FROM json_each('[' || :ids_json || ']'))"
        if evidence_for
        else ""
    )
    result = conn.execute(
        text(
            f"""
            WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < :k){projects_cte}
            INSERT INTO analytics_events (occurred_at, actor, event_type, project_id, session_id, tool_name, status,
                payload)
            SELECT CASE WHEN k.i = :k THEN s.ended_at
                        ELSE strftime('%Y-%m-%d %H:%M:%S', s.started_at, '+' || k.i || ' seconds') || '.000000' END,
                   'agent',
                   CASE WHEN k.i = 1 THEN 'session_start' WHEN k.i = :k THEN 'session_end' ELSE 'tool_call' END,
                   s.project_id, s.id, CASE WHEN k.i IN (1, :k) THEN NULL ELSE 'context_store' END, 'ok',
                   {payload}
            FROM sessions s CROSS JOIN k
            WHERE s.display_id LIKE :prefix
              AND NOT EXISTS (SELECT 1 FROM analytics_events e WHERE e.session_id = s.id)
            """
        ),
        params,
    )
    # sqlite3 reports no rowcount for a statement that opens with WITH; SQLite itself knows
    return (
        int(conn.execute(text("SELECT changes()")).scalar_one())
        if result.rowcount < 0
        else int(result.rowcount)
    )


def analyze(conn: Connection) -> None:
    """Refresh planner statistics and the visibility map after a bulk load, as autovacuum would
    (PostgreSQL; give this an AUTOCOMMIT connection: VACUUM cannot run in a transaction).

    SQLite is left without statistics, as every AIDIS database is (see `backfill.refresh_statistics`).
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("VACUUM ANALYZE"))


def count_generated(conn: Connection) -> int:
    """How many generated sessions exist (their display ids continue from here)."""
    return int(
        conn.execute(
            text("SELECT count(*) FROM sessions WHERE display_id LIKE :p"), {"p": DEMO_PREFIX + "%"}
        ).scalar_one()
    )


def insert_contexts(conn: Connection, *, project_id: uuid.UUID, count: int, now: datetime) -> None:
    """`count` contexts in one project; each holds the word w<n % 1000> so a search matches 0.1% of them.
    The texts are lowercase words and digits, so each is its own folded `search_text`."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                """
                INSERT INTO contexts (id, project_id, context_type, content, search_text, tags, created_at,
                                      metadata)
                SELECT gen_random_uuid(), CAST(:pid AS uuid), 'note', t, t, '["bench"]',
                       CAST(:now AS timestamptz), '{}'
                FROM (SELECT 'benchmark note ' || g || ' about w' || (g % 1000) || ' and '
                             || (ARRAY['parser', 'cache', 'auth', 'billing', 'search'])[1 + g % 5] AS t
                      FROM generate_series(1, :n) AS g) AS texts
                """
            ),
            {"pid": str(project_id), "n": count, "now": now},
        )
        return
    conn.execute(
        text(
            """
            WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :n),
            texts(t) AS (
                SELECT 'benchmark note ' || n || ' about w' || (n % 1000) || ' and '
                       || CASE n % 5 WHEN 0 THEN 'parser' WHEN 1 THEN 'cache' WHEN 2 THEN 'auth'
                          WHEN 3 THEN 'billing' ELSE 'search' END
                FROM g
            )
            INSERT INTO contexts (id, project_id, context_type, content, search_text, tags, created_at, metadata)
            SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2)
                         || '-a' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
                   :pid, 'note', t, t, '["bench"]', :now, '{}'
            FROM texts
            """
        ),
        {"pid": str(project_id), "n": count, "now": now.strftime("%Y-%m-%d %H:%M:%S.%f")},
    )
