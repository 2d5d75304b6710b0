"""The fast path's JSON (CPython's accelerator driven directly) reads and writes exactly what the `json`
package does, on generated values and bodies — errors included."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from aidis.hooks import fastjson

EVERY_CHARACTER = st.characters(codec=None, exclude_categories=())
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(EVERY_CHARACTER),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(EVERY_CHARACTER), inner, max_size=4),
    max_leaves=30,
)
spacing = st.sampled_from(["", " ", "\n", "\t \r\n"])


@settings(max_examples=500)
@given(value=values, before=spacing, after=spacing)
def test_reading_matches_json(value: object, before: str, after: str) -> None:
    text = before + json.dumps(value) + after
    assert fastjson.loads(text.encode("utf-8", "surrogatepass")) == json.loads(text)
    assert fastjson.loads(text) == json.loads(text)


@settings(max_examples=500)
@given(value=values)
def test_writing_matches_json(value: object) -> None:
    assert fastjson.dumps(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@settings(max_examples=300)
@given(raw=st.binary(max_size=60) | st.text(max_size=60).map(str.encode))
def test_bad_input_is_a_value_error_as_with_json(raw: bytes) -> None:
    try:
        expected: object = json.loads(raw)
    except ValueError:
        expected = ValueError
    try:
        got: object = fastjson.loads(raw)
    except ValueError:
        got = ValueError
    if isinstance(expected, float) and expected != expected:  # NaN equals nothing
        assert isinstance(got, float) and got != got
    else:
        assert got == expected


def test_deep_nesting_is_a_recursion_error_as_with_json() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    for reader in (json.loads, fastjson.loads):
        try:
            reader(deep)
        except RecursionError:
            continue
        raise AssertionError(f"{reader} read 100,000 levels")
