"""The HTTP surface: dashboard, JSON API, health, metrics, and MCP at /mcp."""
