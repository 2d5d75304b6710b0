"""Project tools: create, list, switch, current, info."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from aidis.enums import Actor
from aidis.mcp.toolkit import ToolEnv, ToolInput, ToolSpec
from aidis.mcp.tools.common import ProjectRef, count_read, session_out
from aidis.schemas import ProjectOut, SessionOut, StatsOut
from aidis.services.caller import ToolCall

Path = Annotated[str, Field(min_length=1, max_length=4096)]
Paths = Annotated[list[Path], Field(max_length=20)]


class ProjectCreateIn(ToolInput):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    switch: bool = Field(default=False, description="Also make it current")
    roots: Paths = Field(default_factory=list, description="Absolute directories")
    repos: Paths = Field(default_factory=list, description="Git remotes, e.g. github.com/acme/widgets")


class ProjectCreateOut(BaseModel):
    project: ProjectOut
    switched: bool
    session: SessionOut | None = Field(description="The open session, re-pinned when switch was set")


async def project_create(env: ToolEnv, args: ProjectCreateIn) -> ProjectCreateOut:
    """Create a project (unique name), optionally with workspace roots and repos; switch=true also
    makes it current and moves your open session."""
    project = await env.run(
        env.app.projects.create,
        args.name,
        description=args.description,
        actor=Actor.AGENT,
        roots=args.roots,
        repos=args.repos,
    )
    session = None
    if args.switch:
        _, session = await env.run(
            env.app.sessions.switch_project,
            env.caller.connection_id,
            str(project.id),
            agent_type=env.caller.agent_type,
            transport=env.caller.transport,
            call=ToolCall(env.tool, env.input_chars),
        )
    else:
        await count_read(env, 300)
    return ProjectCreateOut(
        project=ProjectOut.of(project), switched=args.switch, session=session_out(env, session)
    )


class ProjectListIn(ToolInput):
    include_archived: bool = Field(default=False, description="Also list archived projects")


class ProjectListOut(BaseModel):
    projects: list[ProjectOut]
    current_project_id: str | None


async def project_list(env: ToolEnv, args: ProjectListIn) -> ProjectListOut:
    """List projects with their session counts, and which one is your current project."""
    summaries = await env.run(env.app.projects.list, include_archived=args.include_archived)
    current = await env.run(env.app.sessions.current_project, env.caller.connection_id)
    out = ProjectListOut(
        projects=[ProjectOut.of(s.project, s.session_count) for s in summaries],
        current_project_id=str(current.id) if current else None,
    )
    await count_read(env, len(out.model_dump_json()))
    return out


class ProjectSwitchIn(ToolInput):
    project: ProjectRef


class ProjectSwitchOut(BaseModel):
    project: ProjectOut
    session: SessionOut | None = Field(
        description="Your open session, now in this project (null if none open)"
    )


async def project_switch(env: ToolEnv, args: ProjectSwitchIn) -> ProjectSwitchOut:
    """Make a project your current one: your open session moves to it (recorded) and later
    sessions start in it."""
    project, session = await env.run(
        env.app.sessions.switch_project,
        env.caller.connection_id,
        args.project,
        agent_type=env.caller.agent_type,
        transport=env.caller.transport,
        call=ToolCall(env.tool, env.input_chars),
    )
    return ProjectSwitchOut(project=ProjectOut.of(project), session=session_out(env, session))


class NoArgs(ToolInput):
    pass


class ProjectCurrentOut(BaseModel):
    project: ProjectOut | None = Field(description="Your current project (null until you switch to one)")
    session_project: ProjectOut | None = Field(description="The project of your open session, if one is open")
    source: str | None = Field(description="Where the session's project came from, or what to do")


async def project_current(env: ToolEnv, args: NoArgs) -> ProjectCurrentOut:
    """Your current project, your open session's project and where it came from."""
    current = await env.run(env.app.sessions.current_project, env.caller.connection_id)
    session = await env.run(env.app.sessions.status, env.caller.connection_id)
    session_project = await env.run(env.app.projects.get, str(session.project_id)) if session else None
    hint = await env.run(env.app.sessions.attribution_hint, env.caller, session)
    started_from = session.metadata.get("project_source") if session else None
    out = ProjectCurrentOut(
        project=ProjectOut.of(current) if current else None,
        session_project=ProjectOut.of(session_project) if session_project else None,
        source=hint or (str(started_from) if started_from else None),
    )
    await count_read(env, len(out.model_dump_json()))
    return out


class ProjectInfoIn(ToolInput):
    project: ProjectRef


class ProjectInfoOut(BaseModel):
    project: ProjectOut
    stats: StatsOut


async def project_info(env: ToolEnv, args: ProjectInfoIn) -> ProjectInfoOut:
    """One project: description, status and session statistics."""
    project = await env.run(env.app.projects.get, args.project)
    stats = await env.run(env.app.stats.session_stats, str(project.id))
    out = ProjectInfoOut(project=ProjectOut.of(project, stats.total), stats=StatsOut.of(stats))
    await count_read(env, len(out.model_dump_json()))
    return out


class ProjectUpdateIn(ToolInput):
    project: ProjectRef
    roots: Paths = Field(default_factory=list, description="Directories to add")
    repos: Paths = Field(default_factory=list, description="Git remotes to add")
    remove_roots: Paths = Field(default_factory=list)
    remove_repos: Paths = Field(default_factory=list)


class WorkspaceOut(BaseModel):
    kind: str
    identity: str


class ProjectUpdateOut(BaseModel):
    project: ProjectOut
    workspaces: list[WorkspaceOut]


async def project_update(env: ToolEnv, args: ProjectUpdateIn) -> ProjectUpdateOut:
    """Add or remove a project's workspace roots (directories) and repos (git remotes): sessions in
    them land in the project."""
    project, held = await env.run(
        env.app.workspaces.update,
        args.project,
        add_roots=args.roots,
        add_repos=args.repos,
        remove_roots=args.remove_roots,
        remove_repos=args.remove_repos,
    )
    await count_read(env, 300)
    return ProjectUpdateOut(
        project=ProjectOut.of(project),
        workspaces=[WorkspaceOut(kind=w.kind.value, identity=w.identity) for w in held],
    )


SPECS = [
    ToolSpec(
        "project_create", "Create project", "projects", ProjectCreateIn, ProjectCreateOut, project_create
    ),
    ToolSpec(
        "project_update", "Update project", "projects", ProjectUpdateIn, ProjectUpdateOut, project_update
    ),
    ToolSpec(
        "project_list",
        "List projects",
        "projects",
        ProjectListIn,
        ProjectListOut,
        project_list,
        read_only=True,
    ),
    ToolSpec(
        "project_switch", "Switch project", "projects", ProjectSwitchIn, ProjectSwitchOut, project_switch
    ),
    ToolSpec(
        "project_current",
        "Current project",
        "projects",
        NoArgs,
        ProjectCurrentOut,
        project_current,
        read_only=True,
    ),
    ToolSpec(
        "project_info",
        "Project info",
        "projects",
        ProjectInfoIn,
        ProjectInfoOut,
        project_info,
        read_only=True,
    ),
]
