"""Secrets pasted into any tool never reach the database (asserted on the rows), on both engines."""

from __future__ import annotations

from sqlalchemy import text

from aidis.app import AppContext
from tests.mcp.conftest import ClientFactory, call
from tests.support import Database

KEY = "sk-ant-api03-" + "Zx9" * 30
TOKEN = "ghp_" + "Q7w" * 12


async def test_secrets_never_reach_the_database_from_any_tool(
    app: AppContext, connect: ClientFactory, db: Database
) -> None:
    async with connect() as client:
        stored = await call(
            client,
            "context_store",
            {"content": f"key {KEY} <private>my notes</private> end", "tags": [f"t-{TOKEN}"]},
        )
        await call(client, "session_new", {"title": f"rotate {TOKEN}", "goal": f"ANTHROPIC_API_KEY={KEY}"})
        await call(client, "session_summary", {"accomplished": f"used {KEY}", "files": [f"/tmp/{TOKEN}"]})
    assert stored["redactions"] == {"anthropic_key": 1, "private": 1, "github_token": 1}
    with db.engine.connect() as conn:
        dump = " ".join(
            str(row)
            for table in ("contexts", "sessions", "analytics_events")
            for row in conn.execute(text(f"SELECT * FROM {table}"))
        )
    assert KEY not in dump and TOKEN not in dump and "my notes" not in dump
    assert "[REDACTED:anthropic_key]" in dump and "[REDACTED:github_token]" in dump
