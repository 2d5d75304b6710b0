"""JSON for the hook fast path, without importing the `json` package (standard library only).

Why: `import json` pulls in `re` and `enum` — about 6 ms of the ~20 ms an agent waits for every hook.
The `json` package is a thin layer over CPython's `_json` accelerator, which this module drives
directly with the same settings `json.loads` and `json.dumps(..., ensure_ascii=False,
separators=(",", ":"))` use, so the results are the same (tests compare them on generated values).
Elsewhere than CPython, or if `_json` ever goes, it falls back to the `json` package.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: nothing more to import on the fast path
    from collections.abc import Callable

WHITESPACE = " \t\n\r"

try:
    import _json as _accelerator
except ImportError:  # pragma: no cover - not CPython
    _accelerator = None  # type: ignore[assignment]


class _Decoding:
    """What `json.JSONDecoder()` hands the scanner by default."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int

    @staticmethod
    def parse_constant(name: str) -> float:
        return {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}[name]


def _not_serializable(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_scan: Callable[[str, int], tuple[object, int]] | None = None
_encode: Callable[[object, int], list[str]] | None = None
_encode_string: Callable[[str], str] = str
if _accelerator is not None:
    parts = vars(_accelerator)  # the accelerator's own names (typeshed types them as classes)
    _encode_string = parts["encode_basestring"]
    _scan = parts["make_scanner"](_Decoding)
    _encode = parts["make_encoder"]({}, _not_serializable, _encode_string, None, ":", ",", False, False, True)


def loads(data: bytes | str) -> object:
    """`json.loads`: a ValueError (JSONDecodeError or UnicodeDecodeError) for what is not JSON; a
    RecursionError for nesting too deep for the interpreter."""
    if _scan is None:  # pragma: no cover - not CPython
        import json

        return json.loads(data)
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    if text.startswith("\ufeff"):
        raise ValueError("Unexpected UTF-8 BOM (decode using utf-8-sig)")
    start = len(text) - len(text.lstrip(WHITESPACE))
    try:
        value, end = _scan(text, start)
    except StopIteration as stop:
        raise ValueError(f"Expecting value: char {stop.value}") from None
    if text[end:].strip(WHITESPACE):
        raise ValueError(f"Extra data: char {len(text) - len(text[end:].lstrip(WHITESPACE))}")
    return value


def dumps(value: object) -> str:
    """`json.dumps(value, ensure_ascii=False, separators=(",", ":"))`."""
    if _encode is None:  # pragma: no cover - not CPython
        import json

        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, str):
        return _encode_string(value)
    return "".join(_encode(value, 0))
