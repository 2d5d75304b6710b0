"""Agents: lifecycle hook events applied to sessions (one AIDIS session per agent session, each event
exactly once) and what an agent's own transcript says about its token use.

May call: `sessions`, `projects`, `text`, `usage`, the kernel, and the payload rules of `aidis.hooks` (standard
library, below the services). Loaded on first use (`aidis mcp` does not import it).
"""

__all__ = ["hook_events", "transcripts"]
