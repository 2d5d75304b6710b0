"""The hook replayer: a surface (like `cli`, `mcp` and `web`) that builds the app and applies the agent
hook events waiting in the local spool to the services.

It owns nothing of its own: the spool file and the payload rules live in `aidis.hooks` (standard library,
below the services); what an event does to a session lives in `aidis.services.agents`. It is started
detached by the hook fast path (`python -m aidis.replayer SPOOL`), synchronously for `SessionStart`
(`python -m aidis.replayer --start-context SPOOL`, payload on stdin), and in-process by `aidis serve`.
"""

from aidis.replayer.spool_replay import ReplayReport, replay, replay_lock

__all__ = ["ReplayReport", "replay", "replay_lock"]
