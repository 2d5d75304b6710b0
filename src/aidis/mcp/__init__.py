"""The MCP surface: a server factory and thin tools over the services."""
