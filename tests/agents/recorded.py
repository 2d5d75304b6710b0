"""The hook payloads and transcripts recorded from the real agents (tests/agents/fixtures, written by
scripts/record_hook_payloads.py), replayed into an app as the fast path and the replayer would."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from aidis.app import AppContext
from aidis.hooks.payload import check
from aidis.hooks.slim import slim
from aidis.records import Session
from aidis.services.agents.hook_events import connection_for

FIXTURES = Path(__file__).resolve().parent / "fixtures"
AGENTS = ["claude-code", "codex", "gemini-cli"]
# What the scripted session did, as each agent's transcript counts it (7 model responses)
TOKENS = {"claude-code": (3850, 175), "codex": (7000, 1750), "gemini-cli": (7000, 1750)}


def recorded(agent: str, workspace: Path, home: Path) -> list[dict[str, Any]]:
    """The agent's recorded payloads, in order, pointing at this test's workspace and transcript."""
    transcript = str(FIXTURES / agent / "transcript.jsonl")
    out = []
    for path in sorted((FIXTURES / agent).glob("[0-9][0-9]-*.json")):
        text = path.read_text().replace("/WORKSPACE", str(workspace)).replace("/HOME", str(home))
        payload = json.loads(text)
        payload["transcript_path"] = transcript
        out.append(payload)
    return out


def replay(app: AppContext, agent: str, payloads: list[dict[str, Any]], session_id: str) -> Session:
    for payload in payloads:
        payload = {**payload, "session_id": session_id}
        assert check(payload) is None, payload["hook_event_name"]
        record = {
            "id": uuid.uuid4().hex,
            "agent": agent,
            "received_at": None,
            "payload": slim(agent, payload),
        }
        app.hooks.apply(record)
    found = app.sessions.latest_for_connection(connection_for(agent, session_id))
    assert found is not None
    return found
