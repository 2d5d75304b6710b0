"""Error hierarchy; each surface (MCP, HTTP, CLI) translates these into its own shape."""

from __future__ import annotations

from collections.abc import Sequence


class AidisError(Exception):
    """Base of every error AIDIS raises on purpose; `message` is safe to show a user."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None, hints: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.hints = list(hints)

    def to_dict(self) -> dict[str, object]:
        """A JSON-friendly description used by every surface."""
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        if self.hints:
            body["hints"] = self.hints
        return body


class NotFound(AidisError):
    """The named thing does not exist."""

    code = "not_found"


class InvalidInput(AidisError):
    """The request broke a rule; `field` names the offending input."""

    code = "invalid_input"


class Expired(AidisError):
    """A credential or handle that was valid has outlived its stated lifetime."""

    code = "expired"


class Conflict(AidisError):
    """The request is valid but clashes with the current state (duplicate name, ended session…)."""

    code = "conflict"


class Forbidden(AidisError):
    """The request touches something that may not be changed (the sentinel project…)."""

    code = "forbidden"


class Unavailable(AidisError):
    """The database or another dependency cannot be reached right now."""

    code = "unavailable"


class SchemaMismatch(AidisError):
    """The database's schema is at a revision this code cannot work with (e.g. migrated by a newer AIDIS)."""

    code = "schema_mismatch"


class Unauthorized(AidisError):
    """No valid credential: a missing, malformed, expired, revoked or unknown token (never which)."""

    code = "unauthorized"
