"""Rules every text from every surface obeys before it reaches a service.

Invariant: no string containing a NUL character (U+0000) is ever handed to the database. PostgreSQL
cannot store one in `text`/`jsonb` and fails with an internal error, while SQLite stores it, so the
two engines would disagree; AIDIS refuses such input instead, naming the field, on every surface
(MCP tools, the JSON API, dashboard forms, hooks), and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aidis.errors import InvalidInput

NUL = "\x00"
NUL_RULE = "must not contain NUL characters (\\u0000)"


def find_nul(value: Any, path: str = "") -> str | None:
    """The path ('tags[2]', 'content') of the first string holding a NUL, in keys or values; else None."""
    if isinstance(value, str):
        return path or "(value)" if NUL in value else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and NUL in key:
                return name
            found = find_nul(item, name)
            if found:
                return found
        return None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = find_nul(item, f"{path}[{index}]")
            if found:
                return found
    return None


def refuse_nul(value: Any, path: str = "") -> None:
    """InvalidInput naming the field when any string in `value` holds a NUL character."""
    field = find_nul(value, path)
    if field is not None:
        raise InvalidInput(f"{field} {NUL_RULE}", field=field)
