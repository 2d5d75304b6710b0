"""The JSON Schemas a tool publishes in `tools/list`, made once and shipped with the package.

Invariant: what `tools/list` publishes is exactly what each tool's input and output models generate
(trimmed as below) — `tests/mcp/test_published_schemas.py` regenerates every schema and compares it
with `tool_schemas.json`, so the file cannot drift from the models. Why a file: pydantic takes about
100 ms to generate 48 schemas, paid by every `aidis mcp` start, that is by every agent start; reading
the file takes about a millisecond. A tool missing from the file (a new tool, before the file is
regenerated) gets its schemas generated at start-up, as before.

Regenerate after changing a tool's models: `python -m aidis.mcp.schema_export` (this module knows no tool,
so the toolkit can read the file without an import circle).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

SCHEMA_FILE = Path(__file__).with_name("tool_schemas.json")


@dataclass(frozen=True)
class PublishedSchemas:
    """A tool's input schema (`parameters`) and its output schema, as `tools/list` shows them."""

    parameters: dict[str, Any]
    output: dict[str, Any]


HANDLE = "session_handle"
HANDLE_MAX_LENGTH = 100  # the argument's rule in every tool's model (aidis.mcp.toolkit.ToolInput)
HANDLE_SCHEMA = {
    "type": "string",
    "maxLength": HANDLE_MAX_LENGTH,
    "description": "From session_new: keeps your session. Valid 24 h; session_status renews it",
}


def generate(input_model: type[BaseModel], output_model: type[BaseModel]) -> PublishedSchemas:
    """Generate a tool's published schemas from its models (what the shipped file must equal).
    Every tool takes `session_handle`, but only clients without a protocol session are shown it
    (`with_handle`): everyone else would pay for an argument they never need, on every model turn."""
    parameters = _without_handle(lean_schema(input_model.model_json_schema(by_alias=True)))
    output = shallow_schema(output_model.model_json_schema(by_alias=True, mode="serialization"))
    return PublishedSchemas(
        parameters={**parameters, "additionalProperties": False}, output=_without_handle(output)
    )


def _without_handle(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "properties": {k: v for k, v in schema.get("properties", {}).items() if k != HANDLE}}


@cache
def shipped() -> dict[str, PublishedSchemas]:
    """The schemas in `tool_schemas.json`, by tool name (empty when the file is absent)."""
    if not SCHEMA_FILE.exists():
        return {}
    raw = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return {name: PublishedSchemas(item["parameters"], item["output"]) for name, item in raw.items()}


def schemas_for(name: str, input_model: type[BaseModel], output_model: type[BaseModel]) -> PublishedSchemas:
    """A tool's published schemas: from the shipped file, else generated now."""
    return shipped().get(name) or generate(input_model, output_model)


def with_handle(schema: dict[str, Any], *, output: bool = False) -> dict[str, Any]:
    """A tool's input (or output) schema as a client without a protocol session sees it: with
    `session_handle` (in a result, a string or null)."""
    added = {"anyOf": [{"type": "string"}, {"type": "null"}]} if output else HANDLE_SCHEMA
    return {**schema, "properties": {**schema.get("properties", {}), HANDLE: added}}


def render(tools: dict[str, PublishedSchemas]) -> str:
    """The file's text for these tools (sorted, stable, one trailing newline)."""
    data = {name: {"parameters": s.parameters, "output": s.output} for name, s in sorted(tools.items())}
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


SCHEMA_MAPS = ("properties", "$defs", "patternProperties")


def lean_schema(schema: Any, *, map_of: str | None = None) -> Any:
    """A JSON Schema without the noise pydantic adds: the `title` of every node, the docstring of every
    shared definition, a nullable field's description said twice, and the null branch of an optional
    argument. Every client (and the agent's
    model) reads tools/list at every start."""
    if isinstance(schema, list):
        return [lean_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if map_of is not None:  # keys are property or definition names, values are schemas
        return {
            name: lean_schema(_undescribed(sub) if map_of == "$defs" else sub) for name, sub in schema.items()
        }
    if "anyOf" in schema and "description" in schema:  # the field's own description says it once
        schema = {**schema, "anyOf": [_undescribed(option) for option in schema["anyOf"]]}
    options = schema.get("anyOf")
    if (
        isinstance(options, list)
        and len(options) == 2
        and options[1] == {"type": "null"}
        and "default" in schema
        and schema["default"] is None
    ):  # an optional argument: leaving it out is how to say "none", so the null branch is noise
        rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
        schema = {**options[0], **rest}
    return {
        key: lean_schema(value, map_of=key if key in SCHEMA_MAPS else None)
        for key, value in schema.items()
        if not _noise(key, value)
    }


def _noise(key: str, value: Any) -> bool:
    """Schema keywords that cost every request and tell the model nothing it needs: titles, and two
    rules the server enforces with a clear error anyway (no unknown keys in nested objects — the
    top level says it once — and no empty strings)."""
    return (
        (key == "title" and isinstance(value, str))
        or (key == "additionalProperties" and value is False)
        or (key == "minLength" and value == 1)
    )


def _undescribed(node: Any) -> Any:
    return {k: v for k, v in node.items() if k != "description"} if isinstance(node, dict) else node


def shallow_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """An output schema one level deep: the result's own fields with their types; nested records
    (sessions, projects, contexts) are plain objects, and a nullable field is its type or null. Results are still validated in full on the
    server (pydantic); clients, which check every result against the published schema, get a small one."""

    def shallow(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        if "$ref" in node or node.get("type") == "object":
            return {"type": "object"}
        if "anyOf" in node:
            options = [shallow(option) for option in node["anyOf"]]
            unique = [o for i, o in enumerate(options) if o not in options[:i]]
            return unique[0] if len(unique) == 1 else {"anyOf": unique}
        out = {k: node[k] for k in ("type", "enum", "format") if k in node}
        if node.get("type") == "array":
            out["items"] = shallow(node.get("items", {}))
        return out

    return {  # every field is always present in a result: no `required` list to repeat them
        "type": "object",
        "properties": {name: shallow(sub) for name, sub in schema.get("properties", {}).items()},
    }
