"""A realistic demo week, recorded through the paths real data takes.

Invariant: the demo is made by the same services live capture uses — each agent's hook events, with
the payload fields the real agents send (recorded in tests/agents/fixtures), its own transcript format
for exact tokens, the store and move services, and the old system's evidence for `aidis backfill` —
so every page shows what a real week looks like and the data obeys every invariant real data does
(nothing after now, an integrity check that is clean). The projects' folders are written under one
demo folder and reused by a second run, which adds another week of new agent sessions (fresh ids,
their own transcripts) instead of colliding with the first.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from aidis.enums import Actor, ContextType, EndReason, EventType
from aidis.hooks.slim import slim
from aidis.repositories import events as events_repo
from aidis.services.agents.agent_sessions import connection_for
from aidis.services.agents.hook_events import Applied, HookService
from aidis.services.caller import Caller
from aidis.services.demo.stories import AGENT_MODELS, CARRIED_OVER, PROJECTS, STORIES, Story
from aidis.services.demo.transcripts import Transcript, tool_events
from aidis.services.handover.context import SessionContextService
from aidis.services.memory.recall import RecallService
from aidis.services.memory.store import ContextService
from aidis.services.projects.catalog import ProjectService
from aidis.services.sessions.lifecycle import SessionService

DAYS = 7
PROMPT_EVENT = {"claude-code": "UserPromptSubmit", "codex": "UserPromptSubmit", "gemini-cli": "BeforeAgent"}
STOP_EVENT = {"claude-code": "Stop", "codex": "Stop", "gemini-cli": "AfterAgent"}
END_REASON = {"claude-code": "prompt_input_exit", "codex": "other", "gemini-cli": "exit"}


class DemoClock(Protocol):
    """The clock the app was built with, which the seeder moves through the week."""

    now: datetime

    def __call__(self) -> datetime: ...


class DemoApp(Protocol):
    """The services the demo writes through (an application built with a DemoClock)."""

    projects: ProjectService
    sessions: SessionService
    contexts: ContextService
    recall: RecallService
    session_context: SessionContextService

    @property
    def hooks(self) -> HookService: ...


@dataclass
class DemoWeek:
    """What the demo made."""

    folder: Path
    sessions: int = 0
    notes: int = 0
    tool_events: int = 0
    handed_over: int = 0  # sessions that started with their project's hand-over
    recalled: int = 0  # prompts that brought back an earlier note
    unassigned: list[str] = field(default_factory=list)  # display ids left for triage and backfill
    moved: str | None = None


def seed_week(app: DemoApp, clock: DemoClock, folder: Path, *, now: datetime, seed: int = 7) -> DemoWeek:
    """A small team's last week in four projects, from three agents, into the app's database."""
    rng = random.Random(seed)  # noqa: S311 — reproducible demo data, not security
    week = DemoWeek(folder)
    start = (now - timedelta(days=DAYS)).replace(hour=9, minute=0, second=0, microsecond=0)
    clock.now = start
    existing = {p.project.name for p in app.projects.list()}
    for name, description in PROJECTS.items():
        root = _repository(folder / "code" / name)
        if name not in existing:
            app.projects.create(
                name, description=description, roots=[str(root)], repos=[f"github.com/acme/{name}"]
            )
    ambiguous: list[str] = []
    for index, story in enumerate(STORIES):
        day, slot = divmod(index * DAYS * 4 // len(STORIES), 4)  # four working slots a day
        clock.now = min(now, start + timedelta(days=day, hours=2 * slot, minutes=rng.randint(0, 50)))
        left = _record(app, clock, folder, story, rng, week, now)
        if left is not None:
            (ambiguous if story.folder == "code" else week.unassigned).append(left)
    if ambiguous:  # a person decided which project one of the "which repository?" sessions belonged to
        week.moved = ambiguous.pop()
        clock.now = now - timedelta(hours=1)
        app.sessions.assign(week.moved, "checkout-service", actor=Actor.USER)
    week.unassigned += ambiguous
    _carry_over(app, clock, now, week)
    clock.now = now
    return week


def _repository(path: Path) -> Path:
    """A project folder that is a git repository (git init when git is here; the demo must not need
    it, and a folder with a .git entry is what marks a repository for attribution)."""
    path.mkdir(parents=True, exist_ok=True)
    git = shutil.which("git")
    made = git is not None and (
        subprocess.run([git, "init", "-q", str(path)], check=False, capture_output=True).returncode == 0  # noqa: S603 — fixed arguments
    )
    if not made:
        (path / ".git").mkdir(exist_ok=True)
    return path.resolve()


def _record(
    app: DemoApp,
    clock: DemoClock,
    folder: Path,
    story: Story,
    rng: random.Random,
    week: DemoWeek,
    now: datetime,
) -> str | None:
    """One agent session, event by event, as the agent's hooks would have sent it; returns its display
    id when it was left Unassigned."""
    agent = story.agent
    session_id = str(uuid.uuid4())  # a new agent session every run (a reused id would resume one)
    cwd = (folder / "code" / story.project) if story.project else (folder / (story.folder or "scratch"))
    cwd.mkdir(parents=True, exist_ok=True)
    transcript = Transcript(
        agent, folder / "transcripts" / agent / f"{session_id}.jsonl", session_id, str(cwd)
    )
    models = AGENT_MODELS[agent]

    def event(name: str, **fields: Any) -> Applied:
        payload: dict[str, Any] = {
            "hook_event_name": name,
            "session_id": session_id,
            "cwd": str(cwd),
            "transcript_path": str(transcript.path),
            **fields,
        }
        if agent == "gemini-cli":
            payload["timestamp"] = clock.now.isoformat()
        kept = slim(agent, payload)  # what the hook keeps and spools, as for a real event
        return app.hooks.apply(
            {"agent": agent, "id": uuid.uuid4().hex, "received_at": clock.now.timestamp(), "payload": kept}
        )

    def advance(low: int, high: int) -> None:
        clock.now = min(now, clock.now + timedelta(minutes=rng.randint(low, high)))

    transcript.start(clock.now, models[0])
    started = event("SessionStart", source="startup").session
    connection = connection_for(agent, session_id)
    week.handed_over += bool(app.session_context.for_connection(connection))  # what the agent is shown
    transcript.prompt(story.prompt, clock.now)
    event(PROMPT_EVENT[agent], prompt=story.prompt)
    week.recalled += bool(app.recall.for_prompt(connection, story.prompt).text)  # as the prompt hook asks
    for done in tool_events(story, agent, cwd):
        advance(1, 9)
        call_id = f"call_{uuid.uuid4().hex[:12]}"
        transcript.turn(rng.choice(models), clock.now, rng, call_id, done)
        ids = {} if agent == "gemini-cli" else {"tool_use_id": call_id}  # Gemini CLI's carry no call id
        event(done.hook, **done.fields, **ids)
        week.tool_events += 1
    if story.note is not None:
        advance(1, 4)
        kind, text = story.note
        caller = Caller(connection, agent, "stdio")
        app.contexts.store(caller, text, context_type=ContextType(kind), tags=[kind])
        week.notes += 1
    advance(1, 5)
    transcript.turn(models[0], clock.now, rng, None, None)
    event(STOP_EVENT[agent], stop_hook_active=False)
    advance(0, 2)
    event("SessionEnd", reason=END_REASON[agent])
    week.sessions += 1
    return started.display_id if story.project is None and started is not None else None


def _carry_over(app: DemoApp, clock: DemoClock, now: datetime, week: DemoWeek) -> None:
    """Sessions the old TypeScript AIDIS recorded without their project (the bug AIDIS exists to end):
    Unassigned here, with the old system's project on their events — what `aidis backfill` assigns by."""
    projects = {p.project.name: p.project.id for p in app.projects.list()}
    for index, (project, title) in enumerate(CARRIED_OVER):
        clock.now = now - timedelta(days=DAYS + 3 - index, hours=2)
        connection = f"legacy-aidis-{uuid.uuid4().hex[:8]}"
        session = app.sessions.start(connection, title=title, agent_type="legacy-aidis", transport="stdio")
        with app.sessions.unit_of_work() as conn:
            for step in range(3):
                events_repo.insert_session_event(
                    conn,
                    session_id=session.id,
                    event_type=EventType.TOOL_CALL.value,  # as `aidis import-legacy` files the old events
                    actor="agent",
                    occurred_at=clock.now + timedelta(minutes=5 * step),
                    payload={
                        "legacy_project_id": str(projects[project]),
                        "legacy_event_type": ("context_search", "context_store", "session_status")[step],
                    },
                )
        clock.now += timedelta(minutes=20)
        app.sessions.end_for_connection(connection, reason=EndReason.EXPLICIT)
        week.sessions += 1
        week.unassigned.append(session.display_id)


def describe(week: DemoWeek) -> str:
    """One line for the command that made the demo."""
    return json.dumps({**asdict(week), "folder": str(week.folder)})
