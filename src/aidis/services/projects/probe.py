"""What a directory is, as git sees it: its repository's top level (shared by every worktree and
subdirectory of one repository) and the normalized identity of its `origin` remote.

Invariant: one repository has one identity however it is reached — through a subdirectory, any of
its worktrees, or a clone with an `https`, `ssh` or scp-style remote — and credentials never become
part of an identity. No database here: facts about the file system only.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

GIT_TIMEOUT_SECONDS = 3.0
SCP_LIKE = re.compile(r"^(?:[^@/\s]+@)?(?P<host>[^:/\s]+):(?P<path>(?!/).+)$")
MAX_CHILDREN = 500


@dataclass(frozen=True, slots=True)
class PathFacts:
    """A directory's repository, if it is in one."""

    path: Path
    repo_root: Path | None  # the main worktree's top level (worktrees share it)
    remote: str | None  # normalized origin identity, e.g. github.com/acme/widgets


def normalize_remote(url: str) -> str | None:
    """`git@github.com:Acme/Widgets.git`, `https://user:pw@github.com/acme/widgets` and
    `ssh://git@github.com:22/acme/widgets.git` → `github.com/acme/widgets`; None if not a remote URL."""
    raw = url.strip()
    if not raw:
        return None
    host: str | None
    if "://" in raw:
        parts = urlsplit(raw)
        if parts.scheme == "file":
            return None
        host, path = parts.hostname, parts.path
    else:
        match = SCP_LIKE.match(raw)
        if match is None:
            return None  # a local path used as a remote identifies nothing portable
        host, path = match.group("host"), match.group("path")
    if not host:
        return None
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    path = path.strip("/")
    if not path:
        return None
    return f"{host.lower()}/{path.lower()}"


def repo_name(identity: str) -> str:
    """`github.com/acme/widgets` → `acme/widgets` (the last two segments)."""
    segments = identity.split("/")[1:]
    return "/".join(segments[-2:]) if segments else identity


def _git(path: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            ["git", "-C", str(path), *args],  # noqa: S607 - git from PATH, like any developer tool
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


_PROBED: dict[Path, tuple[float, PathFacts]] = {}
PROBE_TTL_SECONDS = 30.0
PROBE_CACHE_SIZE = 256


def probe(path: Path) -> PathFacts:
    """Ask git where `path`'s repository is and what its origin is (None when not in a repository).

    Answers are kept for PROBE_TTL_SECONDS: a connection that has no session yet asks on every
    `session_status`, and two git processes per call would cost it ~10 ms. A repository created or
    re-pointed meanwhile is seen at most that much later.
    """
    now = time.monotonic()
    known = _PROBED.get(path)
    if known is not None and now - known[0] < PROBE_TTL_SECONDS:
        return known[1]
    facts = _probe(path)
    if len(_PROBED) >= PROBE_CACHE_SIZE:
        _PROBED.clear()
    _PROBED[path] = (now, facts)
    return facts


def _probe(path: Path) -> PathFacts:
    out = _git(path, "rev-parse", "--path-format=absolute", "--show-toplevel", "--git-common-dir")
    if not out:
        return PathFacts(path, None, None)
    lines = out.splitlines()
    top = Path(lines[0])
    common = Path(lines[1]) if len(lines) > 1 else top / ".git"
    root = common.parent if common.name == ".git" else top
    remote_url = _git(top, "config", "--get", "remote.origin.url")
    return PathFacts(path, root, normalize_remote(remote_url) if remote_url else None)


_CHILDREN: dict[Path, tuple[float, list[Path]]] = {}


def child_repositories(path: Path) -> list[Path]:
    """Immediate subdirectories that are git repositories (a parent of several is ambiguous); kept for
    PROBE_TTL_SECONDS like `probe`."""
    now = time.monotonic()
    known = _CHILDREN.get(path)
    if known is not None and now - known[0] < PROBE_TTL_SECONDS:
        return known[1]
    found = _child_repositories(path)
    if len(_CHILDREN) >= PROBE_CACHE_SIZE:
        _CHILDREN.clear()
    _CHILDREN[path] = (now, found)
    return found


def _child_repositories(path: Path) -> list[Path]:
    found = []
    try:
        with os.scandir(path) as entries:
            for index, entry in enumerate(entries):
                if index >= MAX_CHILDREN:
                    break
                if entry.is_dir(follow_symlinks=False) and os.path.exists(os.path.join(entry.path, ".git")):
                    found.append(Path(entry.path))
    except OSError:
        return []
    return sorted(found)
