"""An earlier AIDIS for before/after benchmarks in one run: a git worktree of a revision, run from its
sources with this environment's interpreter and packages (an `aidis` wrapper script)."""

from __future__ import annotations

import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def baseline_aidis(revision: str | None) -> Iterator[str | None]:
    """The path of an `aidis` that runs `revision`'s code (None when no revision is asked for)."""
    if revision is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="aidis-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), revision], check=True
        )
        try:
            wrapper = Path(tmp) / "aidis"
            code = "import sys; from aidis.entry import main; sys.argv[0] = 'aidis'; main()"
            wrapper.write_text(
                "#!/bin/sh\n"
                f"PYTHONPATH={shlex.quote(str(tree / 'src'))} exec {shlex.quote(sys.executable)} "
                f'-c {shlex.quote(code)} "$@"\n'
            )
            wrapper.chmod(0o755)
            yield str(wrapper)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
