"""`python -m aidis.mcp.schema_export`: rewrite `tool_schemas.json` from the current tool models.

Invariant: the only module that knows both the tools and the shipped schema file, so neither imports
the other (the toolkit reads the file; the tools use the toolkit).
"""

from __future__ import annotations

from aidis.mcp.published_schemas import SCHEMA_FILE, PublishedSchemas, generate, render
from aidis.mcp.tools import all_specs


def current() -> dict[str, PublishedSchemas]:
    """Every tool's schemas as its models generate them now."""
    return {spec.name: generate(spec.input_model, spec.output_model) for spec in all_specs()}


def main() -> None:
    """Rewrite `tool_schemas.json` from the current models."""
    tools = current()
    SCHEMA_FILE.write_text(render(tools), encoding="utf-8")
    print(f"wrote {len(tools)} tools' schemas to {SCHEMA_FILE}")


if __name__ == "__main__":
    main()
