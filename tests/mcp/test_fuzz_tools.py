"""Fuzz every tool through the SDK client with plausible and arbitrary arguments.

Nothing may surface as an internal error or a traceback: every refusal is a field-naming error.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aidis.app import AppContext
from aidis.mcp.identity import FixedConnection
from aidis.mcp.server import build_mcp_server
from aidis.mcp.tools import all_specs
from mcp import Client

SPECS = {spec.name: spec for spec in all_specs()}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


PLAUSIBLE = st.sampled_from(
    [
        "alpha",
        "Unassigned",
        "__unassigned__",
        "decision",
        "note",
        "active",
        "ended",
        "timed_out",
        "x" * 201,
        "'; DROP TABLE sessions; --",
        "2026-01-01T00:00:00Z",
        "2026-01-01",
        0,
        1,
        10,
        100,
        101,
        -1,
        True,
        False,
        ["db"],
        ["decision", "error"],
        [""],
        "SES-2026-00001",
        "fts5 search",
        "<script>x</script>",
    ]
)


def _inputs(name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Objects keyed by the tool's own argument names (plus an unknown one), valued plausibly or arbitrarily."""
    keys = [*SPECS[name].input_model.model_fields, "unexpected"]
    return st.dictionaries(st.sampled_from(keys), st.one_of(PLAUSIBLE, PLAUSIBLE, json_values), max_size=5)


async def _call(app: AppContext, tool: str, args: dict[str, Any]) -> None:
    async with Client(build_mcp_server(app, FixedConnection("memory:fuzz", "memory", "fuzzer"))) as client:
        result = await client.call_tool(tool, args)
    if result.is_error:
        text = result.content[0].text  # type: ignore[union-attr]
        assert "internal error" not in text, (tool, args, text)
        assert "Traceback" not in text
        # the two refusal forms: argument validation, or a service error naming its field
        assert text.startswith((f"invalid arguments for {tool}: ", f"Error executing tool {tool}: ")), text


@pytest.mark.parametrize("tool", sorted(SPECS))
def test_tools_survive_arbitrary_and_schema_valid_input(app: AppContext, tool: str) -> None:
    import anyio

    app.projects.create("alpha")

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(args=_inputs(tool))
    def run(args: dict[str, Any]) -> None:
        anyio.run(_call, app, tool, args)

    run()
