"""The install's secret: the one key this server signs what it hands out with (dashboard form tokens,
MCP session handles).

Invariant: every worker of one install, and every restart, signs with the same secret, so a token or
handle it issued stays verifiable — the configured one (replicas behind one name share it), else a
random one kept once in `<data dir>/form-secret` (created with O_EXCL, mode 0600; never rewritten).
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger("aidis.access")

SECRET_FILE = "form-secret"  # noqa: S105 - a file name, not a secret


def install_secret(configured: str | None, data_dir: Path) -> bytes:
    """The configured secret, else the data directory's file (made on first use)."""
    if configured:
        return configured.encode()
    path = Path(data_dir) / SECRET_FILE
    try:
        return _read_or_create(path)
    except OSError as exc:
        log.warning(
            "cannot keep the install secret in %s (%s): forms and session handles issued before a "
            "restart will not be accepted after it",
            path,
            exc.strerror or exc,
        )
        return secrets.token_bytes(32)


def _read_or_create(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_bytes().strip()
        if len(secret) >= 32:
            return secret
        raise OSError(f"{path} holds no usable secret; delete it to make a new one") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_hex(32).encode())
    return path.read_bytes().strip()
