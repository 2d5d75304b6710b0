"""Dashboard form tokens bound to a secret only this server knows.

Invariant: a form post is accepted only when its `csrf_token` field is the HMAC, under the install's
secret, of the browser's `aidis_csrf` cookie. A plain double submit (field equals cookie) can be beaten
by a page on another loopback port: cookies ignore ports, so it can plant a cookie and send the same
value in the field. It cannot compute the HMAC without the secret, and it cannot read the token off
our pages (the browser's same-origin rule, plus Host checks against DNS rebinding).

The secret is the install's (`aidis.services.access.install_secret`): AIDIS_FORM_SECRET when set,
else a random one kept in `<data dir>/form-secret`, so every worker of one install and every restart
accept the forms they served.
"""

from __future__ import annotations

import hashlib
import hmac

from aidis.config import Settings
from aidis.services.access.install_secret import install_secret


def form_secret(settings: Settings) -> bytes:
    """The install's form secret: the setting, else the data directory's file (made on first use)."""
    return install_secret(settings.form_secret, settings.data_dir)


def token_for(secret: bytes, cookie: str) -> str:
    """The form token a page carries for this cookie."""
    return hmac.new(secret, cookie.encode(), hashlib.sha256).hexdigest()


def token_valid(secret: bytes, cookie: str | None, sent: str) -> bool:
    """True when `sent` is this server's token for `cookie` (constant-time comparison)."""
    if not cookie or not sent:
        return False
    return hmac.compare_digest(token_for(secret, cookie), sent)
