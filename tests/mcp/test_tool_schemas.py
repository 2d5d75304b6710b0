"""All tools load and pass schema validation (the old plan's check), with strict, bounded inputs."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from tests.mcp.conftest import ClientFactory

EXPECTED = {
    "aidis_ping",
    "aidis_status",
    "aidis_help",
    "project_create",
    "project_list",
    "project_switch",
    "project_current",
    "project_info",
    "session_new",
    "session_assign",
    "session_status",
    "session_end",
    "session_list",
    "context_store",
    "context_search",
    "context_recent",
    "project_update",
    "session_summary",
    "session_context",
    "context_get",
    "context_timeline",
    "context_update",
    "context_delete",
    "context_restore",
    "aidis_tool",
}


def _strings(
    schema: dict[str, Any], defs: dict[str, Any], path: str = ""
) -> list[tuple[str, dict[str, Any]]]:
    """Every string-typed schema node reachable from `schema`."""
    if "$ref" in schema:
        return _strings(defs[schema["$ref"].split("/")[-1]], defs, path)
    found: list[tuple[str, dict[str, Any]]] = []
    if schema.get("type") == "string" and "enum" not in schema and "format" not in schema:
        found.append((path, schema))
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found += _strings(sub, defs, path)
    if "items" in schema:
        found += _strings(schema["items"], defs, path + "[]")
    for name, sub in schema.get("properties", {}).items():
        found += _strings(sub, defs, f"{path}.{name}")
    return found


async def test_all_tools_load_and_pass_schema_validation(connect: ClientFactory) -> None:
    async with connect() as client:
        tools = (await client.list_tools()).tools
    assert {t.name for t in tools} == EXPECTED
    for tool in tools:
        Draft202012Validator.check_schema(tool.input_schema)
        assert tool.output_schema is not None, tool.name
        Draft202012Validator.check_schema(tool.output_schema)
        assert tool.input_schema.get("additionalProperties") is False, f"{tool.name} accepts unknown keys"
        assert tool.description and len(tool.description) > 30, (
            f"{tool.name} needs a docstring agents can act on"
        )
        for path, node in _strings(tool.input_schema, tool.input_schema.get("$defs", {})):
            assert "maxLength" in node, f"{tool.name}{path} has no length limit"


async def test_read_only_tools_are_annotated(connect: ClientFactory) -> None:
    async with connect() as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    for name in ("session_status", "context_search", "project_list", "aidis_ping"):
        assert tools[name].annotations is not None and tools[name].annotations.read_only_hint is True
    assert tools["context_store"].annotations.read_only_hint is False  # type: ignore[union-attr]
    assert tools["context_store"].annotations.destructive_hint is False  # type: ignore[union-attr]
    delete = tools["context_delete"].annotations
    assert delete is not None and delete.read_only_hint is False and delete.destructive_hint in (None, True)


async def test_the_tool_list_stays_small(connect: ClientFactory) -> None:
    """Every agent loads tools/list at every start: lean schemas keep it under 20k characters."""
    import json

    async with connect() as client:
        tools = (await client.list_tools()).tools
    listed = json.dumps([t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools])
    assert len(listed) < 20_000, len(listed)
    status = next(t for t in tools if t.name == "session_status")
    assert status.output_schema is not None
    assert status.output_schema["properties"]["session"] == {"anyOf": [{"type": "object"}, {"type": "null"}]}
