"""`POST /hooks/<agent>` (claude-code, codex, gemini-cli): the same hook handler as `aidis hook <agent>`,
for agents' HTTP hooks and scripts.

Thin: the JSON body is the agent's hook payload; it is applied at once (no spool: the server is the
database's neighbour) and answered with what the agent expects — for SessionStart the start
context. Token-protected like /api; JSON only (browser_guard). On a team server a posted
`transcript_path` is not read (it could name another person's file on the server): tokens then come
from the estimate, or from the person's own `aidis hook`, which reads the transcript on their machine.
"""

from __future__ import annotations

import time
import uuid

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from aidis.app import AppContext
from aidis.errors import InvalidInput
from aidis.hooks.payload import AGENTS, MAX_PAYLOAD_BYTES, parse
from aidis.hooks.slim import is_tool_event, slim
from aidis.services.agents.hook_events import connection_for
from aidis.services.principal import current_principal

router = APIRouter(include_in_schema=False)


async def read_bounded(request: Request, limit: int) -> bytes:
    """The request body, refused (naming `body`) as soon as it passes `limit` bytes — never read whole."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InvalidInput(f"body: over {limit} bytes", field="body")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/hooks/{agent}")
async def hook(request: Request, agent: str) -> JSONResponse:
    """Apply one hook event; SessionStart answers with hookSpecificOutput.additionalContext."""
    if agent not in AGENTS:
        raise InvalidInput(f"unknown agent {agent!r}; known: {', '.join(AGENTS)}", field="agent")
    body = await read_bounded(request, MAX_PAYLOAD_BYTES)
    payload, problem = parse(body)
    if payload is None:
        assert problem is not None
        raise InvalidInput(f"invalid {agent} hook payload: {problem}", field=problem.split(":", 1)[0])
    app: AppContext = request.app.state.aidis
    if is_tool_event(agent, payload) and not app.settings.capture:
        return JSONResponse({})
    kept = slim(agent, payload)
    if current_principal() is not None:
        # a team server reads no file a request names: the agent's transcript is on the person's own
        # machine (their `aidis hook` reads it there), and a path here could name anyone's file
        kept.pop("transcript_path", None)
    record = {"id": uuid.uuid4().hex, "agent": agent, "received_at": time.time(), "payload": kept}
    await anyio.to_thread.run_sync(app.hooks.apply, record)
    if payload.get("hook_event_name") != "SessionStart":
        return JSONResponse({})
    connection = connection_for(agent, str(payload["session_id"]), current_principal())
    text = await anyio.to_thread.run_sync(app.session_context.for_connection, connection)
    return JSONResponse({"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": text}})
