"""`aidis mcp`'s front: the stdio line protocol, standard library only, ready before the MCP SDK is.

Why: an agent gives its MCP servers about two seconds (Claude Code then sends its first model request
without the late server's tools), and importing the SDK costs 0.6–0.8 s of CPU — far more with several
agents starting at once on a small machine. The front answers the handshake-era `initialize`,
`ping` and the `tools`, `prompts` and `resources` lists from `front_answers.json`, which `python -m aidis.mcp.schema_export` records
from the real SDK server (a test fails when the file and the SDK differ), while the SDK loads.

Invariants:
- Every line the client sends reaches the SDK in the order it was sent, except the list and `ping`
  requests the front answered itself. The `initialize` the front answered is replayed to the SDK
  (its answer to it, the same, is dropped), so the SDK's session state is exactly as if it had
  answered. Once a request has gone to the SDK, the front answers nothing more itself: from there the
  SDK alone orders the answers, as it would without the front.
- The front answers only what the recording covers: well-formed handshake-era requests. A 2026-07-28
  request (per-request envelope), a paginated list or an odd `initialize` waits for the SDK.
- A line that is not JSON, not UTF-8, nested too deeply or holding a lone surrogate gets a JSON-RPC
  parse error (-32700, id null); JSON that is not a JSON-RPC 2.0 message gets invalid request
  (-32600). Either is logged (the first ten, then every hundredth): the client never waits forever.
- stdout carries nothing but protocol lines (fd 1 is pointed at stderr while serving), one writer at
  a time.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
from collections.abc import Callable
from typing import Any

ANSWERS_FILE = os.path.join(os.path.dirname(__file__), "front_answers.json")
MODERN_KEY = "io.modelcontextprotocol/protocolVersion"
MAX_DEPTH = 100
MAX_LINE_BYTES = 16 * 1024 * 1024
# What a client asks while connecting (Claude Code lists prompts and resources too, and counts the server
# as connected only once every list has come back).
LISTS = ("tools/list", "prompts/list", "resources/list", "resources/templates/list")
FRONT_METHODS = frozenset({"initialize", "ping", *LISTS})


def load_answers(path: str = ANSWERS_FILE) -> dict[str, Any] | None:
    """The recorded answers, or None when the file is missing or unreadable (everything waits for the SDK)."""
    try:
        with open(path, "rb") as handle:
            answers: dict[str, Any] = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    return answers


class StdioFront:
    """Reads the client's lines, answers what it can, and hands everything else to the SDK in order.

    `start_sdk(front)` is called once, on a thread of its own, when the SDK is first needed (a request
    the front does not answer), or `sdk_delay` seconds after start, so that it is warm by the time an
    agent calls a tool while its start-up — a CPU-bound second of imports — does not compete with the
    agent's own: it must serve `front.next_line()` /
    `front.write_line()` until `next_line()` returns None.
    """

    def __init__(
        self,
        start_sdk: Callable[[StdioFront], None],
        *,
        answers: dict[str, Any] | None,
        read: Callable[[], bytes],
        write: Callable[[bytes], None],
        sdk_delay: float = 3.0,
        tool_set: str = "core",
        log: Callable[[str], None] | None = None,
    ) -> None:
        self._start_sdk = start_sdk
        self._answers = answers
        self._read = read
        self._raw_write = write
        self._sdk_delay = sdk_delay
        self._tool_set = tool_set.strip() or "core"
        self._log = log or (lambda message: sys.stderr.write(f"aidis mcp: {message}\n"))
        self._inbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._write_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._sdk_thread: threading.Thread | None = None
        self._initialized_version: str | None = None
        self._forwarded_request = False
        self._ended = False
        self._suppress: set[str] = set()  # JSON of ids whose SDK answer the client already has
        self._bad_lines = 0
        self.closed = threading.Event()
        self.sdk_error: BaseException | None = None

    # ---- the SDK's side ----------------------------------------------------------------------

    def next_line(self) -> bytes | None:
        """The next line for the SDK (blocking); None once the client has gone."""
        return self._inbox.get()

    def write_line(self, data: bytes) -> None:
        """Write one protocol line; the SDK's answer to a request the front answered is dropped."""
        if self._suppress:
            try:
                message = json.loads(data)
            except ValueError:
                message = None
            if isinstance(message, dict) and "method" not in message:
                key = json.dumps(message.get("id"))
                if key in self._suppress:
                    self._suppress.discard(key)
                    return
        self._write(data if data.endswith(b"\n") else data + b"\n")

    # ---- the client's side -------------------------------------------------------------------

    def serve(self) -> None:
        """Read lines until end of input (or `stop()`), then tell the SDK the client has gone."""
        timer = threading.Timer(self._sdk_delay, self.ensure_sdk)
        timer.daemon = True
        timer.start()
        pending = b""
        try:
            while not self.closed.is_set():
                try:
                    chunk = self._read()
                except InterruptedError:
                    continue
                except (OSError, ValueError) as exc:
                    self._log(f"cannot read stdin ({exc}); closing")
                    break
                if not chunk:
                    break
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    self.handle(line)
                if len(pending) > MAX_LINE_BYTES:
                    self._bad("a line over 16 MiB")
                    self._error(None, -32700, "Parse error: line too long")
                    pending = b""
            if pending.strip():
                self.handle(pending)
        finally:
            timer.cancel()
            self.closed.set()
            self.end_input()

    def end_input(self) -> None:
        """Tell the SDK the input has ended (once; after end of input or `stop()`). A request the client
        sent before it left is still applied: the SDK starts for it if it never had (the handshake alone
        needs no SDK)."""
        with self._write_lock:
            if self._ended:
                return
            self._ended = True
        self._inbox.put(None)
        if self._forwarded_request:  # a request the client sent before it left is still applied
            self.ensure_sdk()

    def stop(self) -> None:
        """End serving as if the client had closed stdin (signals)."""
        self.closed.set()

    def join_sdk(self, timeout: float | None = None) -> bool:
        """Wait for the SDK thread (if it ever started); True when it has finished."""
        thread = self._sdk_thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    @property
    def sdk_started(self) -> bool:
        """Whether the SDK was ever needed."""
        return self._sdk_thread is not None

    def ensure_sdk(self) -> None:
        """Start the SDK thread unless it runs already."""
        with self._start_lock:
            if self._sdk_thread is not None or (self.closed.is_set() and not self._forwarded_request):
                return
            self._sdk_thread = threading.Thread(target=self._run_sdk, name="aidis-mcp-sdk", daemon=True)
            self._sdk_thread.start()

    def _run_sdk(self) -> None:
        try:
            self._start_sdk(self)
        except BaseException as exc:  # noqa: BLE001 - kept for the main thread, which reports it and exits 2
            self.sdk_error = exc
            self.closed.set()

    def handle(self, raw: bytes) -> None:
        """One line from the client: answered, forwarded, or refused."""
        if not raw.strip():
            return
        message = self._parse(raw)
        if message is None:
            return
        method = message.get("method")
        request = isinstance(method, str) and "id" in message
        if request and self._answer(message, str(method)):
            if method == "initialize":
                self._forward(raw)  # replayed to the SDK; its answer is dropped
            return
        self._forward(raw)
        if request:
            self._forwarded_request = True
            self.ensure_sdk()

    def _forward(self, raw: bytes) -> None:
        self._inbox.put(raw)

    def _parse(self, raw: bytes) -> dict[str, Any] | None:
        try:
            message = json.loads(raw.decode("utf-8"))
        except RecursionError:
            self._refuse(None, -32700, "Parse error: nested too deeply")
            return None
        except (UnicodeDecodeError, ValueError) as exc:
            self._refuse(None, -32700, f"Parse error: {type(exc).__name__}")
            return None
        problem = _shape_problem(message)
        if problem is not None:
            self._refuse(None, -32700, f"Parse error: {problem}")
            return None
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0" or not _is_message(message):
            ident = message.get("id") if isinstance(message, dict) else None
            self._refuse(ident if _valid_id(ident) else None, -32600, "Invalid Request")
            return None
        return message

    def _answer(self, message: dict[str, Any], method: str) -> bool:
        """Answer from the recording when it covers this request; True when answered."""
        answers = self._answers
        if answers is None or method not in FRONT_METHODS or self._forwarded_request:
            return False
        params = message.get("params")
        if params is not None and not isinstance(params, dict):
            return False
        params = params or {}
        meta = params.get("_meta")
        if isinstance(meta, dict) and MODERN_KEY in meta:
            return False  # a 2026-07-28 request: the SDK answers
        ident = message["id"]
        if method == "initialize":
            version = _initialize_version(params)
            if version is None or self._initialized_version is not None:
                return False
            result = answers["initialize"].get(version) or answers["initialize"]["default"]
            self._initialized_version = result["protocolVersion"]
            self._suppress.add(json.dumps(ident))
            self._result(ident, result)
            return True
        if self._initialized_version is None or set(params) - {"_meta"}:
            return False  # before the handshake, or paginated: the SDK answers
        if method == "ping":
            self._result(ident, {})
            return True
        listed = answers["lists"].get(self._tool_set)
        if listed is None:
            return False  # a tool mode the recording does not cover (or a bad value: the SDK says so)
        index = listed["by_version"].get(self._initialized_version, {}).get(method)
        if index is None:
            return False
        self._result(ident, listed["results"][index])
        return True

    def _result(self, ident: Any, result: Any) -> None:
        body = json.dumps({"jsonrpc": "2.0", "id": ident, "result": result}, separators=(",", ":"))
        self._write(body.encode() + b"\n")

    def _refuse(self, ident: Any, code: int, message: str) -> None:
        self._bad(message)
        self._error(ident, code, message)
        return None

    def _error(self, ident: Any, code: int, message: str) -> None:
        body = {"jsonrpc": "2.0", "id": ident, "error": {"code": code, "message": message}}
        self._write(json.dumps(body).encode() + b"\n")

    def _bad(self, what: str) -> None:
        self._bad_lines += 1
        if self._bad_lines <= 10 or self._bad_lines % 100 == 0:
            self._log(f"refused a malformed line from the client ({what}); {self._bad_lines} so far")

    def _write(self, data: bytes) -> None:
        with self._write_lock:
            try:
                self._raw_write(data)
            except (OSError, ValueError):  # the client has gone: stop reading too
                self.closed.set()


def fd_reader(fd: int) -> Callable[[], bytes]:
    """Read what a file descriptor has (up to 64 KiB)."""
    return lambda: os.read(fd, 65536)


def fd_writer(fd: int) -> Callable[[bytes], None]:
    """Write all of `data` to a file descriptor."""

    def write(data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(fd, view) :]
            except InterruptedError:
                continue

    return write


def _initialize_version(params: dict[str, Any]) -> str | None:
    """The protocol version a well-formed `initialize` asks for, else None (the SDK answers odd ones)."""
    version = params.get("protocolVersion")
    info = params.get("clientInfo")
    if not isinstance(version, str) or not isinstance(params.get("capabilities"), dict):
        return None
    if not isinstance(info, dict) or not isinstance(info.get("name"), str):
        return None
    if not isinstance(info.get("version"), str):
        return None
    return version


def _valid_id(ident: Any) -> bool:
    return isinstance(ident, str) or (isinstance(ident, int) and not isinstance(ident, bool))


def _is_message(message: dict[str, Any]) -> bool:
    """A JSON-RPC request, notification or response (the SDK checks the rest)."""
    if "method" in message:
        params = message.get("params")
        return (
            isinstance(message["method"], str)
            and (params is None or isinstance(params, dict))
            and ("id" not in message or _valid_id(message["id"]))
        )
    return "id" in message and ("result" in message) != ("error" in message)


def _shape_problem(value: Any) -> str | None:
    """Depth and characters, walked without recursion: None when the SDK can take the value."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} levels"
        if isinstance(item, str):
            if not _encodable(item):
                return "a lone surrogate (not valid Unicode)"
        elif isinstance(item, dict):
            for key, sub in item.items():
                if not _encodable(key):
                    return "a lone surrogate (not valid Unicode)"
                stack.append((sub, depth + 1))
        elif isinstance(item, list):
            stack.extend((sub, depth + 1) for sub in item)
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
