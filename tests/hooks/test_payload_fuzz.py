"""Hostile hook payloads, generated: the fast path always exits 0 with at most one stderr line and spools
only what passes the payload rules; `POST /hooks/<agent>` answers every body with 200 or a 4xx error
envelope naming a field — never 500. Strings include lone surrogates and NULs; shapes include deep
nesting and raw bytes that are not JSON."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aidis.app import AppContext
from aidis.hooks import fastpath
from aidis.hooks import spool as spool_file
from aidis.hooks.payload import check, parse
from tests.web.forms import asgi_client

EVERY_CHARACTER = st.characters(codec=None, exclude_categories=())  # lone surrogates and NUL included
texts = st.text(EVERY_CHARACTER, max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=30,
)
EVENTS = st.sampled_from(["Stop", "UserPromptSubmit", "PreCompact", "SubagentStop", "Notification"])
payloads = st.fixed_dictionaries(
    {"hook_event_name": EVENTS | texts, "session_id": texts | json_values},
    optional={"cwd": texts | json_values, "transcript_path": texts, "prompt": texts, "extra": json_values},
)


def nested(depth: int) -> bytes:
    return b'{"hook_event_name": "Stop", "session_id": "s", "x": ' + b"[" * depth + b"]" * depth + b"}"


bodies = st.one_of(
    payloads.map(lambda p: json.dumps(p, ensure_ascii=True).encode()),  # surrogates as \udXXX escapes
    json_values.map(lambda v: json.dumps(v, ensure_ascii=True).encode()),
    st.binary(max_size=200),
    st.integers(min_value=1, max_value=5_000).map(nested),
)


@pytest.fixture
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AIDIS_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setattr(fastpath, "spawn_replayer", lambda _spool: None)  # nothing to apply here
    return tmp_path / "spool" / spool_file.SPOOL_NAME


def run_fast_path(raw: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    stdin = io.TextIOWrapper(io.BytesIO(raw))
    stdout, stderr = io.StringIO(), io.StringIO()
    with monkeypatch.context() as patch:
        patch.setattr(sys, "stdin", stdin)
        patch.setattr(sys, "stdout", stdout)
        patch.setattr(sys, "stderr", stderr)
        code = fastpath.main(["claude-code"])
    return code, stdout.getvalue(), stderr.getvalue()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=bodies)
def test_the_fast_path_exits_0_and_spools_only_valid_payloads(
    raw: bytes, spool: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = len(spool_file.read(spool))
    code, out, err = run_fast_path(raw, monkeypatch)
    assert code == 0 and out == ""
    assert len(err.splitlines()) <= 1
    lines = spool_file.read(spool)
    payload, problem = parse(raw)
    if payload is None:
        assert len(lines) == before and problem is not None and problem in err
    else:
        assert len(lines) == before + 1
        assert check(json.loads(lines[-1])["payload"]) is None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=bodies)
async def test_post_hooks_answers_every_body_with_200_or_a_field_error(app: AppContext, raw: bytes) -> None:
    async with asgi_client(app) as http:
        answer = await http.post(
            "/hooks/claude-code", content=raw, headers={"content-type": "application/json"}
        )
    assert answer.status_code in (200, 422), answer.text
    body: Any = answer.json()
    if answer.status_code == 422:
        assert body["error"]["field"] and body["error"]["code"] == "invalid_input"
        assert parse(raw)[0] is None


def test_a_hostile_body_over_http_is_refused_naming_the_rule(app: AppContext) -> None:
    async def post(raw: bytes) -> httpx.Response:
        async with asgi_client(app) as http:
            return await http.post(
                "/hooks/claude-code", content=raw, headers={"content-type": "application/json"}
            )

    import anyio

    surrogate = anyio.run(post, b'{"hook_event_name": "Stop", "session_id": "a\\ud800b"}')
    deep = anyio.run(post, b"[" * 100_000 + b"]" * 100_000)
    assert surrogate.status_code == 422 and surrogate.json()["error"]["field"] == "session_id"
    assert deep.status_code == 422 and "nested" in deep.json()["error"]["message"]
