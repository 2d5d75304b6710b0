"""Dashboard form tokens bound to a secret only this server knows.

Invariant: a form post is accepted only when its `csrf_token` field is the HMAC, under the install's
secret, of the browser's `aidis_csrf` cookie. A plain double submit (field equals cookie) can be beaten
by a page on another loopback port: cookies ignore ports, so it can plant a cookie and send the same
value in the field. It cannot compute the HMAC without the secret, and it cannot read the token off
our pages (the browser's same-origin rule, plus Host checks against DNS rebinding).

The secret is AIDIS_FORM_SECRET when set (replicas behind one name share it), else a random one kept
in `<data dir>/form-secret` (created once, mode 0600), so every worker of one install and every
restart accept the forms they served.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from aidis.config import Settings

log = logging.getLogger("aidis.web")

SECRET_FILE = "form-secret"  # noqa: S105 - a file name, not a secret


def form_secret(settings: Settings) -> bytes:
    """The install's form secret: the setting, else the data directory's file (made on first use)."""
    if settings.form_secret:
        return settings.form_secret.encode()
    path = Path(settings.data_dir) / SECRET_FILE
    try:
        return _read_or_create(path)
    except OSError as exc:
        log.warning(
            "cannot keep the form secret in %s (%s): forms served before a restart will need a reload",
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


def token_for(secret: bytes, cookie: str) -> str:
    """The form token a page carries for this cookie."""
    return hmac.new(secret, cookie.encode(), hashlib.sha256).hexdigest()


def token_valid(secret: bytes, cookie: str | None, sent: str) -> bool:
    """True when `sent` is this server's token for `cookie` (constant-time comparison)."""
    if not cookie or not sent:
        return False
    return hmac.compare_digest(token_for(secret, cookie), sent)
