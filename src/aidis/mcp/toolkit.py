"""Strict MCP tools: a pydantic input model per tool (unknown keys rejected), structured output,
and one translation of errors into messages an agent can act on."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools.base import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp_types import ToolAnnotations
from opentelemetry.trace import StatusCode
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aidis.errors import AidisError, Forbidden, NotFound
from aidis.mcp.identity import CallerResolver
from aidis.mcp.published_schemas import HANDLE_MAX_LENGTH, schemas_for
from aidis.mcp.roots import RootsCache
from aidis.services.caller import Caller
from aidis.services.principal import acting_as
from aidis.textrules import NUL_RULE, find_nul

if TYPE_CHECKING:
    from aidis.app import AppContext
    from aidis.config import Settings

log = logging.getLogger("aidis.mcp")

T = TypeVar("T")
InT = TypeVar("InT", bound="ToolInput")
OutT = TypeVar("OutT", bound=BaseModel)


class AppSource(Protocol):
    """Where tools get the app: an AppContext (it is its own source), or a stdio server's DeferredApp,
    which builds it after the server has answered `initialize`."""

    @property
    def settings(self) -> Settings:
        """The settings the app is (or will be) built from."""
        ...

    async def get(self) -> AppContext:
        """The app, once built; an AidisError when it cannot be (database unreachable)."""
        ...


class ToolInput(ArgModelBase):
    """Base of every tool's arguments: unknown keys are an error, not silently dropped. Every tool
    takes the `session_handle` session_new returned to a client without a protocol session."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    session_handle: str | None = Field(default=None, max_length=HANDLE_MAX_LENGTH)


def with_handle(app: AppContext, caller: Caller, handle: str | None) -> Caller:
    """The caller on the connection its session handle names (unchanged without one); InvalidInput
    or Expired naming `session_handle` for a handle that is not the caller's or has run out."""
    if handle is None:
        return caller
    connection = app.session_handles.connection_for(handle, caller.principal)
    return replace(caller, connection_id=connection, stateless=False)


def describe_validation_error(tool: str, error: ValidationError) -> str:
    """'invalid arguments for X: field: rule; …' — one clause per broken rule, each naming its field."""
    clauses = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "(arguments)"
        if item["type"] == "extra_forbidden":
            clauses.append(f"{field}: unknown argument")
        elif item["type"] == "missing":
            clauses.append(f"{field}: required")
        else:
            clauses.append(f"{field}: {item['msg']}")
    return f"invalid arguments for {tool}: " + "; ".join(clauses) + ". Nothing was changed."


def describe_aidis_error(error: AidisError) -> str:
    """An AidisError as one line: code, message, and the field it concerns."""
    field = f" (field: {error.field})" if error.field else ""
    return f"{error.code}: {error.message}{field}"


@dataclass
class ToolEnv:
    """What a tool handler gets: the app, who is calling, and how big the request was."""

    app: AppContext
    caller: Caller
    tool: str
    input_chars: int
    catalog: tuple[ToolSpec, ...] = ()  # every tool this server offers (for aidis_help)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a (blocking) service call: inline for stdio, on a worker thread otherwise.

        A stdio server has one client whose requests come one at a time, so a call of a millisecond
        or two blocks nobody and the hop to a worker thread and back would cost more than the work;
        an HTTP server serves many connections on one event loop, so its calls run on worker threads.
        """
        with acting_as(self.caller.principal, self.tool):
            try:
                if self.caller.transport == "stdio":
                    return fn(*args, **kwargs)
                return await anyio.to_thread.run_sync(partial(fn, *args, **kwargs))
            except (Forbidden, NotFound) as exc:  # a refusal (a grant missing, a hidden id) is audited
                self.app.audit.denied(exc)
                raise

    def now(self) -> Any:
        """The app clock's current time."""
        return self.app.clock()


Handler = Callable[[ToolEnv, Any], Awaitable[BaseModel]]
CallObserver = Callable[[str, str, float], None]


class AidisTool(Tool):
    """An SDK Tool whose arguments are checked by its own strict model before anything runs."""

    def model_post_init(self, context: Any, /) -> None:
        """Nothing extra; present so pydantic treats this as a distinct model."""

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        """Refuse bad arguments with a field-naming message, then run as the SDK does."""
        field = find_nul(arguments)
        if field is not None:
            raise ToolError(f"invalid arguments for {self.name}: {field}: {NUL_RULE}. Nothing was changed.")
        try:  # the SDK validates once; its message for a refusal is replaced by a field-naming one
            return await super().run(arguments, context, convert_result)
        except ToolError as exc:  # exactly ToolError from a ValidationError: the arguments' check
            if type(exc) is ToolError and isinstance(exc.__cause__, ValidationError):
                raise ToolError(describe_validation_error(self.name, exc.__cause__)) from exc.__cause__
            raise


def internal_error(tool: str, connection_id: str | None) -> ToolError:
    """Log the exception being handled under a fresh reference; the error an agent gets for it."""
    ref = uuid.uuid4().hex[:10]
    log.exception(
        "tool %s failed unexpectedly (ref %s)",
        tool,
        ref,
        extra={"tool": tool, "connection_id": connection_id, "error_ref": ref},
    )
    return ToolError(
        f"internal error in {tool} (ref {ref}); it is logged on the AIDIS server. "
        "The tool's database work was rolled back."
    )


def _describe_result(span: Any, result: BaseModel) -> None:
    """Put the session and project a tool call ended up in on its span."""
    session = getattr(result, "session", None)
    if session is None or not hasattr(session, "project_id"):
        return
    span.set_attributes(
        {
            "aidis.session.id": session.id,
            "aidis.session.display_id": session.display_id,
            "aidis.project.id": session.project_id,
            "aidis.project.name": session.project_name,
        }
    )


SEARCH_HINT_META = "anthropic/searchHint"


@dataclass
class ToolSpec:
    """One tool: name, models, handler and hints for clients."""

    name: str
    title: str
    category: str
    input_model: type[ToolInput]
    output_model: type[BaseModel]
    handler: Handler
    read_only: bool = False
    destructive: bool = False
    # words a model may search for this tool by (Claude Code's ToolSearch ranks deferred tools by them;
    # sent as `_meta["anthropic/searchHint"]`, never in the model's tool list)
    search_hint: str = ""


def build_tool(
    spec: ToolSpec,
    source: AppSource,
    resolve: CallerResolver,
    observe: CallObserver | None = None,
    roots: RootsCache | None = None,
    catalog: tuple[ToolSpec, ...] = (),
) -> Tool:
    """Turn a ToolSpec into an SDK Tool bound to the app's source, a connection resolver, the
    roots cache and the catalog of the server's tools."""

    async def call(ctx: Context, **fields: Any) -> BaseModel:
        started = time.perf_counter()
        try:
            app = await source.get()
        except AidisError as exc:
            raise ToolError(describe_aidis_error(exc)) from exc
        except Exception as exc:  # the app's build failed unexpectedly: logged with a reference
            raise internal_error(spec.name, None) from exc
        tracer = app.telemetry.tracer
        record = observe or app.telemetry.metrics.observe_tool
        outcome = "ok"
        args = spec.input_model.model_construct(**fields)  # the SDK validated them (AidisTool.run)
        try:
            caller = with_handle(app, resolve(ctx), args.session_handle)
        except AidisError as exc:
            record(spec.name, exc.code, time.perf_counter() - started)
            raise ToolError(describe_aidis_error(exc)) from exc
        if roots is not None:
            reported = await roots.hints(ctx, caller.connection_id)
            if reported:  # the client's roots are stronger evidence than the server's own cwd
                caller = replace(caller, workspaces=(*reported, *caller.workspaces))
        env = ToolEnv(app, caller, spec.name, len(json.dumps(fields, default=str)), catalog)
        if caller.workspaces:  # folders are looked at before the handler opens a transaction
            await env.run(app.sessions.prepare_workspaces, caller.workspaces)
        attributes = {
            "aidis.tool": spec.name,
            "aidis.connection.id": caller.connection_id,
            "aidis.agent": caller.agent_type,
        }
        with tracer.start_as_current_span(f"aidis.tool {spec.name}", attributes=attributes) as span:
            try:
                result = await spec.handler(env, args)
                _describe_result(span, result)
                return result
            except AidisError as exc:
                outcome = exc.code
                raise ToolError(describe_aidis_error(exc)) from exc
            except Exception as exc:
                outcome = "internal_error"
                span.record_exception(exc)
                raise internal_error(spec.name, caller.connection_id) from exc
            finally:
                span.set_attribute("aidis.outcome", outcome)
                if outcome != "ok":
                    span.set_status(StatusCode.ERROR, outcome)
                record(spec.name, outcome, time.perf_counter() - started)

    doc = " ".join((spec.handler.__doc__ or spec.title).split())
    published = schemas_for(spec.name, spec.input_model, spec.output_model)
    return AidisTool(
        fn=call,
        name=spec.name,
        title=spec.title,
        description=doc,
        parameters=published.parameters,
        fn_metadata=FuncMetadata(
            arg_model=spec.input_model, output_model=spec.output_model, output_schema=published.output
        ),
        is_async=True,
        context_kwarg="ctx",
        annotations=ToolAnnotations(  # only what differs from the protocol's defaults, and read-only
            read_only_hint=spec.read_only,
            destructive_hint=None if spec.read_only or spec.destructive else False,
            open_world_hint=False,
        ),
        meta={SEARCH_HINT_META: spec.search_hint} if spec.search_hint else None,
    )
