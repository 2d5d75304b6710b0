"""`aidis bench`: latency, throughput and memory of a real AIDIS server, next to a no-op MCP floor."""
