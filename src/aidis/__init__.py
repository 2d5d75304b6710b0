"""AIDIS: persistent, project-scoped memory and an exact session record for AI coding agents."""

# A literal (read by the build too): asking importlib.metadata costs ~100 ms on every start.
__version__ = "0.1.0"

__all__ = ["__version__"]
