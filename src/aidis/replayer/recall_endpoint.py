"""The recall socket: where prompt hooks ask the spool's listener (the lingering replayer, or `aidis serve`)
which notes to hand the model with a prompt (the hook's half: aidis.hooks.recall).

Why here: the listener already has the application, a database connection pool and — once warmed, at
start — the embedding model and its vector index in memory, so a question costs a search, not a
process start and a model load. Invariants: only the process holding the listener's lock binds the
socket (so a crashed owner's leftover file is removed safely); each question is answered on its own
thread, so a slow one never holds up the next prompt or the replay; a question that breaks the payload
rules gets an answer naming the field, and any failure answers "nothing" with its reason (logged),
never a silence the hook must wait out.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aidis.errors import AidisError
from aidis.hooks.notify import MAX_SOCKET_PATH
from aidis.hooks.payload import AGENTS, check
from aidis.hooks.recall import SOCKET_NAME

log = logging.getLogger("aidis.hooks")

MAX_QUESTION_BYTES = 300_000
CATCH_UP_SECONDS = 0.15

Answer = Callable[[dict[str, Any]], tuple[str, str]]


class RecallEndpoint:
    """A Unix stream socket next to the spool, answering one JSON question per connection."""

    def __init__(
        self, spool: Path, answer: Answer, *, on_question: Callable[[], None] = lambda: None
    ) -> None:
        self.path = spool.with_name(SOCKET_NAME)
        self.answer = answer
        self.on_question = on_question
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def open(self) -> bool:
        """Bind and start answering (the caller holds the spool's listener lock); False when the path is
        too long for a socket."""
        if len(os.fsencode(str(self.path))) > MAX_SOCKET_PATH:
            return False
        self.path.unlink(missing_ok=True)  # a crashed listener's file: the lock says nobody serves it
        listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listening.bind(str(self.path))
            os.chmod(self.path, 0o600)
            listening.listen(16)
        except OSError:
            listening.close()
            raise
        self._socket = listening
        self._thread = threading.Thread(target=self._accept, name="aidis-recall", daemon=True)
        self._thread.start()
        return True

    def _accept(self) -> None:
        listening = self._socket
        while listening is not None and self._socket is listening:
            try:
                client, _ = listening.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            client.settimeout(5)
            try:
                raw = _read_line(client)
                self.on_question()
                text, reason = self._answer(raw)
                client.sendall(json.dumps({"text": text, "reason": reason}).encode() + b"\n")
            except OSError as exc:  # the hook gave up (its time box) or went away: nothing to answer
                log.debug("recall: the hook left before the answer (%s)", exc)

    def _answer(self, raw: bytes) -> tuple[str, str]:
        try:
            question = json.loads(raw or b"null")
        except ValueError as exc:
            return "", f"body: not JSON ({exc})"
        problem = _problem(question)
        if problem is not None:
            return "", problem
        try:
            return self.answer(question)
        except AidisError as exc:
            log.warning("recall: %s", exc.message)
            return "", exc.message
        except Exception as exc:
            log.exception("recall failed")
            return "", f"recall failed ({type(exc).__name__})"

    def close(self) -> None:
        """Stop answering: the socket file goes first."""
        if self._socket is not None:
            self.path.unlink(missing_ok=True)
            listening, self._socket = self._socket, None
            with contextlib.suppress(OSError):  # a listening socket may say it was never connected
                listening.shutdown(socket.SHUT_RDWR)
            listening.close()


def _read_line(client: socket.socket) -> bytes:
    received = b""
    while not received.endswith(b"\n") and len(received) <= MAX_QUESTION_BYTES:
        chunk = client.recv(65536)
        if not chunk:
            break
        received += chunk
    return received[:MAX_QUESTION_BYTES]


def _problem(question: object) -> str | None:
    """None for an acceptable question, else one line naming the field."""
    if not isinstance(question, dict):
        return "body: the question must be a JSON object"
    if question.get("agent") not in AGENTS:
        return f"agent: must be one of {', '.join(AGENTS)}"
    for name in ("session_id", "prompt"):
        if not isinstance(question.get(name), str) or not str(question.get(name)).strip():
            return f"{name}: required (a non-empty string)"
    return check({"hook_event_name": "recall", **{k: v for k, v in question.items() if k != "agent"}})


def recall_answerer(app: Any, spool: Path, person: Any) -> Answer:
    """Answers for one app: apply the events still waiting (briefly: this prompt's session may have just
    started), then recall for the session, acting for the hooks' person."""
    from aidis.replayer.spool_replay import replay, replay_lock
    from aidis.services.agents.hook_events import connection_for
    from aidis.services.principal import acting_as

    def answer(question: dict[str, Any]) -> tuple[str, str]:
        with acting_as(person, "hook"):
            with replay_lock(spool, wait_until=time.monotonic() + CATCH_UP_SECONDS) as mine:
                if mine:
                    replay(app, spool)
            connection = connection_for(str(question["agent"]), str(question["session_id"]), person)
            found = app.recall.for_prompt(connection, str(question["prompt"]))
        return found.text, found.reason

    return answer


def warm(app: Any) -> None:
    """Load the embedding model and the vector index now, on a thread, so the first prompt does not
    pay for them (a model that is off or missing is said by the answers, not here)."""

    def run() -> None:
        try:
            app.embedder.model().embed(["warm up"])
            with app.engine.connect() as conn:
                app.embedder.index(conn)
        except AidisError as exc:
            log.info("recall: meaning search unavailable (%s); exact identifiers only", exc.message)

    threading.Thread(target=run, name="aidis-recall-warm", daemon=True).start()
