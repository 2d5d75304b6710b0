"""What a hook payload must hold before AIDIS accepts it (standard library only: the fast path imports it).

Invariant: a payload that breaks these rules is refused with a message naming the field, and nothing
is spooled or written — whichever surface it came through (`aidis hook`, `POST /hooks/<agent>`, the
replayer). Hostile shapes are refused here, before anything else touches them: bodies over the size
limit, JSON nested too deeply for a recursive reader, too many keys or items, lone surrogates (which
no UTF-8 file or database can store) and NUL characters (which PostgreSQL cannot). Extra fields an
agent adds later are kept and ignored.
"""

from __future__ import annotations

from aidis.hooks import fastjson as json

AGENTS = ("claude-code", "codex", "gemini-cli")
MAX_PAYLOAD_BYTES = 1_000_000
MAX_DEPTH = 64
MAX_NODES = 100_000
# field → (required, max length); every one must be a string when present (the three agents' fields,
# as recorded from the real agents in tests/agents/fixtures)
FIELDS = {
    "hook_event_name": (True, 64),
    "session_id": (True, 200),
    "cwd": (False, 4096),
    "transcript_path": (False, 4096),
    "source": (False, 64),
    "reason": (False, 64),
    "trigger": (False, 64),
    "prompt": (False, 200_000),
    "tool_name": (False, 200),
    "tool_use_id": (False, 200),
    "turn_id": (False, 200),
    "model": (False, 200),
}


def parse(raw: bytes) -> tuple[dict[str, object] | None, str | None]:
    """(payload, None) for an acceptable body, else (None, one line naming the field and the rule)."""
    if len(raw) > MAX_PAYLOAD_BYTES:
        return None, f"body: over {MAX_PAYLOAD_BYTES} bytes"
    try:
        payload = json.loads(raw or b"null")
    except RecursionError:
        return None, f"body: nested more than {MAX_DEPTH} levels deep"
    except ValueError as exc:
        return None, f"body: not JSON ({exc})"
    problem = check(payload)
    if problem is not None:
        return None, problem
    assert isinstance(payload, dict)
    return payload, None


def check(payload: object) -> str | None:
    """None when the payload is acceptable, else one line naming the field and the rule."""
    if not isinstance(payload, dict):
        return "body: the payload must be a JSON object"
    problem = check_shape(payload)
    if problem is not None:
        return problem
    for field, (required, limit) in FIELDS.items():
        value = payload.get(field)
        if value is None:
            if required:
                return f"{field}: required"
            continue
        if not isinstance(value, str):
            return f"{field}: must be a string, not {type(value).__name__}"
        if required and not value.strip():
            return f"{field}: must not be empty"
        if len(value) > limit:
            return f"{field}: must be at most {limit} characters"
    return None


def check_shape(value: object) -> str | None:
    """Depth, size and characters of a whole JSON value, walked without recursion: None when fine, else
    the path of the first offending place and the rule it breaks."""
    stack: list[tuple[object, str, int]] = [(value, "", 0)]
    nodes = 0
    while stack:
        item, path, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            return f"body: more than {MAX_NODES} keys and items"
        if depth > MAX_DEPTH:
            return f"{_printable(path) or 'body'}: nested more than {MAX_DEPTH} levels deep"
        if isinstance(item, str):
            problem = _text_problem(item)
            if problem:
                return f"{_printable(path) or 'body'}: {problem}"
        elif isinstance(item, dict):
            for key, sub in item.items():
                name = f"{path}.{key}" if path else str(key)
                problem = _text_problem(key)
                if problem:
                    return f"{_printable(name)}: key {problem}"
                stack.append((sub, name, depth + 1))
        elif isinstance(item, list):
            stack.extend((sub, f"{path}[{i}]", depth + 1) for i, sub in enumerate(item))
    return None


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "must not contain NUL characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must not contain lone surrogates (not valid Unicode)"
    return None


def _printable(name: str) -> str:
    """A field path safe to print on one line (lone surrogates and control characters escaped)."""
    return name.encode("unicode_escape").decode("ascii")[:200]
