"""A TypeScript-AIDIS database built by the tests: the legacy table shapes and generated messy data.

The DDL follows that project's migrations (002, 013, 017–026): sessions.project_id is nullable,
analytics_events.session_id has no foreign key, statuses are active/inactive/disconnected, and
contexts carry an embedding column (a real[] here; the vector type is not needed to test that it is ignored).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg.types.json import Jsonb

DDL = """
CREATE TABLE projects (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(255) UNIQUE NOT NULL,
    description TEXT,
    created_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    status VARCHAR(50) DEFAULT 'active',
    git_repo_url TEXT,
    root_directory TEXT,
    metadata JSONB DEFAULT '{}'::jsonb
);
CREATE TABLE sessions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id UUID REFERENCES projects(id) ON DELETE CASCADE,
    agent_type VARCHAR(50) NOT NULL,
    started_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    ended_at TIMESTAMPTZ,
    context_summary TEXT,
    tokens_used INTEGER DEFAULT 0,
    metadata JSONB DEFAULT '{}'::jsonb,
    updated_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    title VARCHAR(255),
    description TEXT,
    agent_display_name VARCHAR(100),
    status VARCHAR(20) DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'disconnected')),
    last_activity_at TIMESTAMPTZ,
    display_id VARCHAR(20),
    input_tokens BIGINT DEFAULT 0,
    output_tokens BIGINT DEFAULT 0,
    total_tokens BIGINT DEFAULT 0,
    contexts_created INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT reasonable_session_duration CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE TABLE contexts (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id UUID REFERENCES projects(id) ON DELETE CASCADE,
    session_id UUID REFERENCES sessions(id) ON DELETE SET NULL,
    context_type VARCHAR(50) NOT NULL,
    content TEXT NOT NULL,
    embedding REAL[],
    created_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    relevance_score FLOAT DEFAULT 1.0,
    tags TEXT[] DEFAULT '{}',
    metadata JSONB DEFAULT '{}'::jsonb
);
CREATE TABLE analytics_events (
    event_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    timestamp TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    actor VARCHAR(20) NOT NULL,
    project_id UUID REFERENCES projects(id),
    session_id UUID,
    context_id UUID REFERENCES contexts(id),
    event_type VARCHAR(50) NOT NULL,
    payload JSONB,
    status VARCHAR(20),
    duration_ms INTEGER,
    tags TEXT[],
    ai_model_used VARCHAR(100),
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    feedback INTEGER,
    metadata JSONB
);
"""


@dataclass
class LegacyData:
    """What the generator made, so tests can check the outcome against it."""

    projects: dict[str, uuid.UUID] = field(default_factory=dict)
    single_evidence: dict[uuid.UUID, uuid.UUID] = field(
        default_factory=dict
    )  # orphan session → its one project
    mixed_evidence: list[uuid.UUID] = field(default_factory=list)
    majority_evidence: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # 3 of 4 name this project
    no_evidence: list[uuid.UUID] = field(default_factory=list)
    stranded_active: list[uuid.UUID] = field(default_factory=list)
    recent_active: list[uuid.UUID] = field(default_factory=list)
    assigned: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    events_for_deleted_sessions: int = 0
    # sessions filed under the old plan's own sentinel project (id 000…0, named __unassigned__)
    in_legacy_sentinel: list[uuid.UUID] = field(default_factory=list)
    legacy_sentinel_evidence: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)


LEGACY_SENTINEL = uuid.UUID("00000000-0000-0000-0000-000000000000")


def populate(
    url: str, *, now: datetime, seed: int = 11, sessions: int = 60, sentinel_sessions: int = 0
) -> LegacyData:
    """Create the legacy tables in the (empty) database at `url` and fill them with messy data.

    With `sentinel_sessions`, the database also has the old plan's sentinel project and that many
    sessions in it; every other one has a context in `alpha` (evidence a backfill can use).
    """
    rng = random.Random(seed)
    data = LegacyData()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(DDL)
        for name, status in (
            ("alpha", "active"),
            ("beta", "active"),
            ("gamma", "archived"),
            ("unassigned", "active"),
        ):
            pid = conn.execute(
                "INSERT INTO projects (name, status, git_repo_url, created_at) VALUES (%s, %s, %s, %s) RETURNING id",
                (name, status, f"https://git.example/{name}", now - timedelta(days=90)),
            ).fetchone()[0]
            data.projects[name] = pid
        real = [data.projects["alpha"], data.projects["beta"], data.projects["gamma"]]
        for i in range(sessions):
            started = now - timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 600))
            kind = ["assigned", "single", "mixed", "majority", "none", "stranded", "recent"][i % 7]
            project = rng.choice(real) if kind in ("assigned", "stranded") else None
            if kind == "recent":
                started = now - timedelta(minutes=10)
            ended = (
                None
                if kind in ("stranded", "recent") or i % 11 == 0
                else started + timedelta(minutes=rng.randint(1, 90))
            )
            status = "active" if kind in ("stranded", "recent") else ("inactive" if i % 3 else "disconnected")
            last = ended or started + timedelta(minutes=5)
            sid = conn.execute(
                "INSERT INTO sessions (project_id, agent_type, started_at, ended_at, status, last_activity_at, "
                "title, display_id, tokens_used, input_tokens, output_tokens, context_summary, agent_display_name) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (
                    project,
                    rng.choice(["claude-code", "cline"]),
                    started,
                    ended,
                    status,
                    last,
                    f"legacy {i}",
                    f"SES-{i % 5:04d}",
                    100,
                    rng.randint(0, 900),
                    rng.randint(0, 300),
                    "summary",
                    "Claude",
                ),
            ).fetchone()[0]
            evidence: list[uuid.UUID | None]
            if kind == "single":
                target = rng.choice(real)
                data.single_evidence[sid] = target
                evidence = [target] * rng.randint(1, 4)
            elif kind == "mixed":
                data.mixed_evidence.append(sid)
                evidence = [real[0], real[1]]
            elif kind == "majority":
                data.majority_evidence[sid] = real[1]
                evidence = [real[1], real[1], real[1], real[2]]
            elif kind == "none":
                data.no_evidence.append(sid)
                evidence = [None, None]
            else:
                if kind == "stranded":
                    data.stranded_active.append(sid)
                elif kind == "recent":
                    data.recent_active.append(sid)
                else:
                    data.assigned[sid] = project  # type: ignore[assignment]
                evidence = [project, project]
            for j, pid in enumerate(evidence):
                at = started + timedelta(seconds=30 * (j + 1))
                if j == 0 and kind != "none":
                    cid = conn.execute(
                        "INSERT INTO contexts (project_id, session_id, context_type, content, embedding, tags, created_at) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
                        (
                            pid,
                            sid,
                            rng.choice(["code", "decision", "reflections", "lessons", "planning"]),
                            f"legacy note {i}.{j} <b>html stays text</b>",
                            [0.1, 0.2, 0.3],
                            ["legacy", f"t{j}"],
                            at,
                        ),
                    ).fetchone()[0]
                    conn.execute(
                        "INSERT INTO analytics_events (timestamp, actor, project_id, session_id, context_id, "
                        "event_type, payload, status, ai_model_used) VALUES (%s,'ai',%s,%s,%s,'context_created',%s,'closed','m')",
                        (at, pid, sid, cid, Jsonb({"n": j})),
                    )
                else:
                    conn.execute(
                        "INSERT INTO analytics_events (timestamp, actor, project_id, session_id, event_type, payload, status) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        (
                            at,
                            rng.choice(["ai", "human", "system"]),
                            pid,
                            sid,
                            rng.choice(["decision", "completion", "planning"]),
                            Jsonb({"j": j}),
                            "closed",
                        ),
                    )
            if ended is not None and i % 2 == 0:
                conn.execute(
                    "INSERT INTO analytics_events (timestamp, actor, project_id, session_id, event_type, status) "
                    "VALUES (%s, 'system', %s, %s, 'session_end', 'closed')",
                    (ended, project, sid),
                )
        for _ in range(7):  # events whose session was deleted long ago
            conn.execute(
                "INSERT INTO analytics_events (timestamp, actor, project_id, session_id, event_type) "
                "VALUES (%s, 'ai', %s, %s, 'decision')",
                (now - timedelta(days=70), rng.choice(real), uuid.uuid4()),
            )
            data.events_for_deleted_sessions += 1
        conn.execute(
            "INSERT INTO analytics_events (timestamp, actor, event_type) VALUES (%s, 'system', 'server_start')",
            (now - timedelta(days=1),),
        )
        if sentinel_sessions:
            _populate_legacy_sentinel(conn, data, now=now, count=sentinel_sessions)
    return data


def _populate_legacy_sentinel(
    conn: psycopg.Connection, data: LegacyData, *, now: datetime, count: int
) -> None:
    conn.execute(
        "INSERT INTO projects (id, name, status, created_at) VALUES (%s, '__unassigned__', 'active', %s)",
        (LEGACY_SENTINEL, now - timedelta(days=80)),
    )
    alpha = data.projects["alpha"]
    for k in range(count):
        started = now - timedelta(days=3, minutes=40 * k)
        sid = conn.execute(
            "INSERT INTO sessions (project_id, agent_type, started_at, ended_at, status, last_activity_at, title) "
            "VALUES (%s, 'claude-code', %s, %s, 'inactive', %s, %s) RETURNING id",
            (
                LEGACY_SENTINEL,
                started,
                started + timedelta(minutes=20),
                started + timedelta(minutes=20),
                f"s{k}",
            ),
        ).fetchone()[0]
        data.in_legacy_sentinel.append(sid)
        project = alpha if k % 2 == 0 else LEGACY_SENTINEL
        if project == alpha:
            data.legacy_sentinel_evidence[sid] = alpha
        conn.execute(
            "INSERT INTO contexts (project_id, session_id, context_type, content, created_at) "
            "VALUES (%s, %s, 'code', %s, %s)",
            (project, sid, f"sentinel-era note {k}", started + timedelta(minutes=1)),
        )
        conn.execute(
            "INSERT INTO analytics_events (timestamp, actor, project_id, session_id, event_type) "
            "VALUES (%s, 'ai', %s, %s, 'decision')",
            (started + timedelta(minutes=2), LEGACY_SENTINEL, sid),
        )


def table_fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Row count and an md5 of every legacy table's rows (to prove the import never wrote to it)."""
    out = {}
    with psycopg.connect(url) as conn:
        for table in ("projects", "sessions", "contexts", "analytics_events"):
            count, digest = conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"
            ).fetchone()
            out[table] = (count, digest)
    return out


NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
