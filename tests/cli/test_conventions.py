"""Command-line conventions a user expects: `aidis --version`, and bare `aidis` prints its help and exits
0 with no error line."""

from __future__ import annotations

import subprocess

from aidis import __version__
from tests.mcp.transports import aidis_executable


def test_version_and_bare_help() -> None:
    shown = subprocess.run([aidis_executable(), "--version"], capture_output=True, text=True, check=False)
    assert shown.returncode == 0 and shown.stdout.strip() == f"aidis {__version__}"
    bare = subprocess.run([aidis_executable()], capture_output=True, text=True, check=False)
    assert bare.returncode == 0, bare.stderr
    assert "Usage: aidis" in bare.stdout and "error" not in (bare.stdout + bare.stderr).lower()
