"""The `aidis` console script. `aidis hook …` takes a fast path that imports only the standard library
(an agent waits for every hook), `aidis mcp` starts the stdio server without loading the command line;
everything else goes to the full command line."""

from __future__ import annotations

import sys


def main() -> None:
    """Dispatch: hooks to the fast path, the rest to the Typer CLI."""
    if len(sys.argv) > 1 and sys.argv[1] == "hook":
        from aidis.hooks.fastpath import main as hook_main

        raise SystemExit(hook_main(sys.argv[2:]))
    if sys.argv[1:] == ["mcp"]:  # what every agent starts: skip the command line's imports
        from aidis.mcp.stdio import serve_stdio

        raise SystemExit(serve_stdio())
    from aidis.cli.main import main as cli_main

    cli_main()
