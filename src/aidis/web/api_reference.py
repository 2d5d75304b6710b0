"""The API reference at /api/v1/docs, rendered by the server from the OpenAPI document.

Invariant: the reference needs nothing from outside the package — no CDN, no script, no inline style —
so it works on an offline machine and under the dashboard's own Content-Security-Policy (a CDN-loaded
Swagger UI showed a blank page there). Every operation and schema of /api/v1/openapi.json is listed, as
the document says it, so the page cannot drift from the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from aidis.web.views import render

router = APIRouter(include_in_schema=False)

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Field:
    """A parameter or a schema property: its name, where it goes, its type in words, and what it is."""

    name: str
    where: str
    type: str
    required: bool
    description: str


@dataclass
class Operation:
    """One method on one path, as the reference lists it."""

    method: str
    path: str
    summary: str
    description: str
    parameters: list[Field]
    body: str | None
    responses: list[tuple[str, str, str]]  # status, description, schema in words
    anchor: str = ""


@dataclass
class Schema:
    """A named schema and its properties."""

    name: str
    description: str
    properties: list[Field] = field(default_factory=list)
    values: list[str] = field(default_factory=list)  # an enumeration's values


def type_words(schema: dict[str, Any]) -> str:
    """A schema's type as a reader says it: `string (date)`, `array of ProjectOut`, `SessionStatus | null`."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " | ".join(type_words(part) for part in schema[key])
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    kind = str(schema.get("type", "any"))
    if kind == "array":
        return f"array of {type_words(schema.get('items', {}))}"
    bounds = [f"{k} {schema[k]}" for k in ("minimum", "maximum", "maxLength") if k in schema]
    shown = f"{kind} ({schema['format']})" if "format" in schema else kind
    return (
        shown
        + (f", {', '.join(bounds)}" if bounds else "")
        + (f"; default {schema['default']}" if "default" in schema else "")
    )


def _body(content: dict[str, Any]) -> str:
    return "; ".join(f"{kind}: {type_words(spec.get('schema', {}))}" for kind, spec in content.items())


def operations(spec: dict[str, Any]) -> list[Operation]:
    """Every operation of an OpenAPI document, in its order."""
    out = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            parameters = [
                Field(
                    p["name"],
                    p.get("in", ""),
                    type_words(p.get("schema", {})),
                    bool(p.get("required")),
                    p.get("description", ""),
                )
                for p in op.get("parameters", [])
            ]
            body = op.get("requestBody", {}).get("content")
            responses = [
                (code, r.get("description", ""), _body(r.get("content", {})))
                for code, r in op.get("responses", {}).items()
            ]
            out.append(
                Operation(
                    method.upper(),
                    path,
                    op.get("summary", ""),
                    op.get("description", ""),
                    parameters,
                    _body(body) if body else None,
                    responses,
                    anchor=op.get("operationId", f"{method}-{path}"),
                )
            )
    return out


def schemas(spec: dict[str, Any]) -> list[Schema]:
    """Every named schema of an OpenAPI document, by name."""
    out = []
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        out.append(
            Schema(
                name,
                schema.get("description", ""),
                [
                    Field(prop, "", type_words(body), prop in required, body.get("description", ""))
                    for prop, body in schema.get("properties", {}).items()
                ],
                [str(v) for v in schema.get("enum", [])],
            )
        )
    return out


@router.get("/api/v1/docs", response_class=HTMLResponse)
def api_reference(request: Request) -> HTMLResponse:
    """The API's operations and schemas, from the same document as /api/v1/openapi.json."""
    spec = request.app.openapi()
    return render(
        request,
        "api.html",
        info=spec.get("info", {}),
        operations=operations(spec),
        schemas=schemas(spec),
    )
