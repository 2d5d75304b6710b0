"""Running a real agent (the pinned package `make agents` installed) offline against its scripted model,
with AIDIS connected by `aidis setup <agent>` in a fresh HOME — shared by the per-agent tests."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from aidis.db.schema import hook_events
from tests.mcp.transports import aidis_executable, wait_until
from tests.support import Database, shared_cache_dir

CODEX_PROVIDER = """
model = "gpt-standin"
model_provider = "standin"
approval_policy = "never"
sandbox_mode = "danger-full-access"

[model_providers.standin]
name = "standin"
base_url = "{url}"
wire_api = "responses"
"""


@dataclass
class AgentHome:
    """A fresh HOME with AIDIS set up for one agent, and the environment its runs get."""

    agent: str
    home: Path
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, agent: str, home: Path, db: Database) -> AgentHome:
        """`aidis setup <agent>` into `home` (the agent's own configuration files)."""
        env = {
            "PATH": f"{Path(aidis_executable()).parent}:{os.environ.get('PATH', '')}",
            "HOME": str(home),
            "AIDIS_DATABASE_URL": db.url,
            "AIDIS_DATA_DIR": str(home / "aidis"),
            "AIDIS_CACHE_DIR": shared_cache_dir(),  # the model's prepared copy: one per run, not per HOME
            "AIDIS_LOG_LEVEL": "WARNING",
            "AIDIS_REPLAYER_LINGER_SECONDS": "5",  # the replayer stays a little: tests leave none behind
        }
        done = subprocess.run(
            [aidis_executable(), "setup", agent],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return cls(agent, home, env)

    def trust(self, folder: Path) -> None:
        """What a person does once per project when Gemini CLI asks: trust the folder."""
        path = self.home / ".gemini" / "trustedFolders.json"
        trusted = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps({**trusted, str(folder): "TRUST_FOLDER"}))

    def run(
        self, argv: list[str], cwd: Path, extra_env: dict[str, str], timeout: float = 240
    ) -> subprocess.CompletedProcess[str]:
        """Run the agent in `cwd`; fails the test with its stderr when it exits non-zero."""
        done = subprocess.run(
            argv,
            cwd=cwd,
            env={**self.env, **extra_env},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done


def applied_events(db: Database) -> list[tuple[str, str, str]]:
    """(event, agent session id, outcome) of every applied hook event, in order."""
    with db.engine.connect().execution_options(aidis_read_only=True) as conn:
        rows = conn.execute(
            select(hook_events.c.event_name, hook_events.c.agent_session_id, hook_events.c.outcome).order_by(
                hook_events.c.received_at
            )
        )
        return [(r.event_name, r.agent_session_id, r.outcome) for r in rows]


def wait_for_ends(db: Database, count: int) -> None:
    """Until `count` SessionEnd events are applied (the replayer runs detached)."""
    wait_until(
        lambda: (
            [e for e, _, o in applied_events(db) if e == "SessionEnd" and o.startswith("ended")].__len__()
            >= count
        ),
        timeout=90,
        what=f"{count} SessionEnd events applied",
    )
