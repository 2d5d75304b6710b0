"""`aidis setup <agent>`: one module per agent's configuration format (Claude Code, Codex, Gemini CLI,
Cursor), each a pure read-merge-write plan of file changes (`files`), with the shared pieces: the MCP
server entry (`mcp_json`) and the hook groups (`hook_json`). Imports nothing above it."""
