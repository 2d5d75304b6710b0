"""`POST /hooks/<agent>`: the same hook handler as `aidis hook <agent>`, for agents' HTTP hooks.

Thin: the JSON body is the agent's hook payload; it is applied at once (no spool: the server is the
database's neighbour) and answered with what the agent expects — for SessionStart the start
context. Token-protected like /api; JSON only (browser_guard).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from aidis.app import AppContext
from aidis.errors import InvalidInput
from aidis.hooks.payload import AGENTS, MAX_PAYLOAD_BYTES
from aidis.services.agents.hook_events import connection_for
from aidis.textrules import refuse_nul

router = APIRouter(include_in_schema=False)


@router.post("/hooks/{agent}")
async def hook(request: Request, agent: str) -> JSONResponse:
    """Apply one hook event; SessionStart answers with hookSpecificOutput.additionalContext."""
    if agent not in AGENTS:
        raise InvalidInput(f"unknown agent {agent!r}; known: {', '.join(AGENTS)}", field="agent")
    body = await request.body()
    if len(body) > MAX_PAYLOAD_BYTES:
        raise InvalidInput(f"payload over {MAX_PAYLOAD_BYTES} bytes", field="body")
    try:
        payload: Any = await request.json()
    except ValueError as exc:
        raise InvalidInput(f"the body is not JSON: {exc}", field="body") from exc
    refuse_nul(payload)
    app: AppContext = request.app.state.aidis
    record = {"id": uuid.uuid4().hex, "agent": agent, "received_at": time.time(), "payload": payload}
    await anyio.to_thread.run_sync(app.hooks.apply, record)
    if payload.get("hook_event_name") != "SessionStart":
        return JSONResponse({})
    connection = connection_for(agent, str(payload["session_id"]))
    text = await anyio.to_thread.run_sync(app.session_context.for_connection, connection)
    return JSONResponse({"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": text}})
