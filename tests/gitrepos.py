"""Real git repositories in temporary folders, for the workspace tests (git is a Debian package)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def require_git() -> None:
    """Fail (never skip): the Makefile installs git, so a missing one is a broken machine."""
    if shutil.which("git") is None:
        pytest.fail("git is not installed (make test installs it)", pytrace=False)


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd`; return its output."""
    done = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def make_repo(path: Path, remote: str | None = None, *, commit: bool = False) -> Path:
    """`git init` at `path` (created), with an `origin` remote and an empty commit if asked."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    if remote:
        git(path, "remote", "add", "origin", remote)
    if commit:
        git(path, "commit", "-q", "--allow-empty", "-m", "init")
    return path.resolve()


def add_worktree(repo: Path, path: Path, branch: str) -> Path:
    """A second worktree of `repo` at `path` on a new branch."""
    git(repo, "worktree", "add", "-q", "-b", branch, str(path))
    return path.resolve()
