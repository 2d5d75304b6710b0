"""SQL for each session's project evidence: the events that name a legacy project, counted per session
and project by migration 0013's triggers, read by `aidis backfill`, recounted by `aidis check`.

Invariant: for every Unassigned session — the only sessions a backfill reads evidence for — each
`session_evidence` row equals the number of its events naming that project, and no such event goes
uncounted; `mismatches` proves it and `rebuild_unassigned` restores it (`check --fix`). Sessions in a
project keep their rows (a revert can bring them back to Unassigned) but nothing reads them there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from aidis.enums import SENTINEL_PROJECT_ID

_KEY = {
    "sqlite": "json_extract(e.payload, '$.legacy_project_id')",
    "postgresql": "e.payload->>'legacy_project_id'",
}
_HAS_KEY = {  # as the triggers test it: a session, and the field holding text
    "sqlite": "e.session_id IS NOT NULL AND json_valid(e.payload) "
    "AND json_type(e.payload, '$.legacy_project_id') = 'text'",
    "postgresql": "e.session_id IS NOT NULL AND jsonb_typeof(e.payload->'legacy_project_id') = 'string'",
}


def _recount(conn: Connection) -> str:
    """Events naming a project, per Unassigned session and project, counted from the events."""
    dialect = conn.dialect.name
    return (
        f"SELECT e.session_id AS session_id, {_KEY[dialect]} AS project_key, count(*) AS events "
        "FROM analytics_events e JOIN sessions s ON s.id = e.session_id "
        f"WHERE s.project_id = :unassigned AND {_HAS_KEY[dialect]} GROUP BY 1, 2"
    )


def _params(conn: Connection) -> dict[str, Any]:
    sentinel = SENTINEL_PROJECT_ID if conn.dialect.name == "postgresql" else str(SENTINEL_PROJECT_ID)
    return {"unassigned": sentinel}


def mismatches(conn: Connection) -> tuple[int, list[str]]:
    """(session, project) pairs of Unassigned sessions whose evidence row is missing, extra or wrong,
    with a few samples. The recount is made once (a materialized CTE) and compared both ways."""
    query = text(
        f"""
        WITH c AS MATERIALIZED ({_recount(conn)}),
        v AS MATERIALIZED (
            SELECT v.session_id, v.project_key, v.events FROM session_evidence v
            JOIN sessions s ON s.id = v.session_id WHERE s.project_id = :unassigned
        )
        SELECT c.session_id, c.project_key FROM c
        LEFT JOIN v ON v.session_id = c.session_id AND v.project_key = c.project_key
        WHERE v.events IS NULL OR v.events <> c.events
        UNION ALL
        SELECT v.session_id, v.project_key FROM v
        LEFT JOIN c ON c.session_id = v.session_id AND c.project_key = v.project_key
        WHERE c.events IS NULL
        """
    )
    rows = conn.execute(query, _params(conn)).all()
    return len(rows), [f"{row[0]} {row[1]}" for row in rows[:5]]


def rebuild_unassigned(conn: Connection) -> int:
    """Recount the evidence of every Unassigned session from its events; returns the rows written."""
    params = _params(conn)
    conn.execute(
        text(
            "DELETE FROM session_evidence WHERE session_id IN "
            "(SELECT id FROM sessions WHERE project_id = :unassigned)"
        ),
        params,
    )
    written = conn.execute(
        text(f"INSERT INTO session_evidence (session_id, project_key, events) {_recount(conn)}"), params
    )
    return max(int(written.rowcount or 0), 0)
