"""Demo: a realistic week of a small team, recorded through the paths real data takes (`aidis demo-data`).

May call agents (hook events), sessions, projects and memory — the services live capture uses — and
nothing that bypasses them. The synthetic and bulk generators for benchmarks stay in operations.demo.
"""

__all__ = ["stories", "transcripts", "week"]
