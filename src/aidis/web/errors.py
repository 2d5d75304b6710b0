"""One error shape for every 4xx/5xx of the JSON API: {"error": {code, message, field?, hints?, errors?}}."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from aidis.errors import AidisError, Conflict, Forbidden, InvalidInput, NotFound, Unauthorized, Unavailable

log = logging.getLogger("aidis.web")

STATUS = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    Unauthorized: 401,
    Unavailable: 503,
}


def status_of(error: AidisError) -> int:
    """The HTTP status for an AidisError."""
    for cls, status in STATUS.items():
        if isinstance(error, cls):
            return status
    return 400


def error_body(code: str, message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    """The error envelope every API error uses."""
    body: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    body.update({k: v for k, v in extra.items() if v})
    return {"error": body}


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "(request)"


def describe_validation(errors: list[dict[str, Any]]) -> tuple[str, list[dict[str, str]]]:
    """A one-line message and per-field details for pydantic errors."""
    details = []
    for item in errors:
        field = _field(item.get("loc", ()))
        rule = "unknown field" if item.get("type") == "extra_forbidden" else str(item.get("msg"))
        details.append({"field": field, "message": rule})
    message = "; ".join(f"{d['field']}: {d['message']}" for d in details)
    return message, details


def install_error_handlers(app: FastAPI) -> None:
    """Map AIDIS errors, validation errors, HTTP errors and crashes to the error envelope."""

    @app.exception_handler(AidisError)
    async def _aidis(request: Request, exc: AidisError) -> Response:
        if isinstance(exc, Forbidden | NotFound):  # a refusal (a grant missing, a hidden id) is audited
            request.app.state.aidis.audit.denied(exc)
        return JSONResponse(
            error_body(exc.code, exc.message, exc.field, hints=exc.hints), status_code=status_of(exc)
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        message, details = describe_validation(list(exc.errors()))
        first = details[0]["field"] if details else None
        return JSONResponse(error_body("invalid_input", message, first, errors=details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        ref = uuid.uuid4().hex[:10]
        log.error("unhandled error on %s %s (ref %s)", request.method, request.url.path, ref, exc_info=exc)
        return JSONResponse(
            error_body("internal_error", f"internal error (ref {ref}); it is logged on the server"),
            status_code=500,
        )
