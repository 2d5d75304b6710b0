"""The schemas shipped in tool_schemas.json are exactly what the tools' models generate."""

from __future__ import annotations

from aidis.mcp.published_schemas import SCHEMA_FILE, generate, render, schemas_for, shipped
from aidis.mcp.schema_export import current as generated_now
from aidis.mcp.tools import all_specs

REGENERATE = "python -m aidis.mcp.schema_export"


def test_shipped_schemas_equal_what_the_models_generate() -> None:
    current = generated_now()
    assert sorted(shipped()) == sorted(current), f"tools added or removed: run `{REGENERATE}`"
    for name, schemas in current.items():
        assert shipped()[name] == schemas, f"{name}'s models changed: run `{REGENERATE}`"
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render(current)


def test_a_tool_missing_from_the_file_gets_its_schemas_generated() -> None:
    spec = all_specs()[0]
    assert schemas_for("not-a-shipped-tool", spec.input_model, spec.output_model) == generate(
        spec.input_model, spec.output_model
    )
