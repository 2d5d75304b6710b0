"""What a hook payload must hold before AIDIS accepts it (standard library only: the fast path imports it).

Invariant: a payload that breaks these rules is refused with a message naming the field, and nothing
is spooled or written; extra fields an agent adds later are kept and ignored.
"""

from __future__ import annotations

AGENTS = ("claude-code",)
MAX_PAYLOAD_BYTES = 1_000_000
# field → (required, max length); every one must be a string when present
FIELDS = {
    "hook_event_name": (True, 64),
    "session_id": (True, 200),
    "cwd": (False, 4096),
    "transcript_path": (False, 4096),
    "source": (False, 64),
    "reason": (False, 64),
    "prompt": (False, 200_000),
}


def check(payload: object) -> str | None:
    """None when the payload is acceptable, else one line naming the field and the rule."""
    if not isinstance(payload, dict):
        return "the payload must be a JSON object"
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
        if "\x00" in value:
            return f"{field}: must not contain NUL characters"
    return None
