"""AIDIS: persistent, project-scoped memory and an exact session record for AI coding agents."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aidis")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
