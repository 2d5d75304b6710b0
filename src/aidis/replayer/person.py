"""Whom hook events act for on a team server: the person AIDIS_TOKEN names in the environment the agent
runs its hooks in (the same token `aidis mcp` uses over stdio).

Invariant: the replayer never guesses a person. Without users it acts for nobody, as it always did;
on a team server without a (valid) AIDIS_TOKEN it still applies the events (whoever can write this
database's spool can reach the database anyway, so nothing is gained by dropping them) but as nobody
in particular, and says so once in the log: the sessions then have no owner and only server admins
see them in Unassigned.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from aidis.enums import Surface
from aidis.errors import Unauthorized
from aidis.services.principal import Principal

log = logging.getLogger("aidis.hooks")


def hook_person(app: Any) -> Principal | None:
    """The person this process's hook events act for (None: nobody in particular)."""
    if not app.team.team_mode():
        return None
    token = os.environ.get("AIDIS_TOKEN", "").strip()
    if not token:
        log.warning(
            "this AIDIS database has users but AIDIS_TOKEN is not set for the agent's hooks: its sessions "
            "are recorded without an owner (set AIDIS_TOKEN, see docs/team.md)"
        )
        return None
    try:
        principal: Principal = app.team.authenticate(token, surface=Surface.HOOKS)
    except Unauthorized as exc:
        log.error("hook events recorded without an owner: AIDIS_TOKEN is refused (%s)", exc.message)
        return None
    return principal
