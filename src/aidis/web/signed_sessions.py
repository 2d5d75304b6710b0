"""The dashboard's sign-in cookie on a team server: who signed in, with what, until when — signed.

Invariant: the cookie carries no secret (a user id, the public id of the token used or the identity
provider's groups, an expiry) and an HMAC under the install's secret, so it cannot be made or altered
without that secret; every request still re-reads the user and token, so disabling a user or revoking
the token ends the sign-in at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass

SESSION_COOKIE = "aidis_session"
LIFETIME = 12 * 3600


@dataclass(frozen=True, slots=True)
class SignedIn:
    """What the cookie says."""

    user_id: uuid.UUID
    token_public_id: str | None  # signed in with a personal token
    groups: tuple[str, ...]  # signed in through the identity provider: its groups
    expires: int


def _mac(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, b"aidis-session:" + body, hashlib.sha256).hexdigest()


def issue(
    secret: bytes, user_id: uuid.UUID, *, token_public_id: str | None = None, groups: tuple[str, ...] = ()
) -> str:
    """A cookie value for this sign-in."""
    payload = {"u": str(user_id), "t": token_public_id, "g": list(groups), "e": int(time.time()) + LIFETIME}
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).rstrip(b"=")
    return f"{body.decode()}.{_mac(secret, body)}"


def read(secret: bytes, value: str | None) -> SignedIn | None:
    """The sign-in a cookie value proves, or None (missing, forged, malformed or expired)."""
    if not value or len(value) > 4096 or "." not in value:
        return None
    body, _, mac = value.rpartition(".")
    if not hmac.compare_digest(mac, _mac(secret, body.encode())):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        signed = SignedIn(
            uuid.UUID(payload["u"]),
            payload["t"] if isinstance(payload.get("t"), str) else None,
            tuple(str(g) for g in payload.get("g", [])),
            int(payload["e"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
    return signed if signed.expires > time.time() else None


def seal(secret: bytes, purpose: str, payload: dict[str, str], lifetime: int) -> str:
    """A signed, expiring cookie value for a short-lived purpose (e.g. a sign-in waiting for the identity
    provider): readable by the browser, unforgeable without the install's secret."""
    body = base64.urlsafe_b64encode(
        json.dumps(
            {**payload, "_e": int(time.time()) + lifetime, "_p": purpose}, separators=(",", ":")
        ).encode()
    ).rstrip(b"=")
    return f"{body.decode()}.{_mac(secret, body)}"


def unseal(secret: bytes, purpose: str, value: str | None) -> dict[str, str] | None:
    """What `seal` sealed for this purpose, or None (missing, forged, for another purpose, or expired)."""
    if not value or len(value) > 4096 or "." not in value:
        return None
    body, _, mac = value.rpartition(".")
    if not hmac.compare_digest(mac, _mac(secret, body.encode())):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    if (
        not isinstance(payload, dict)
        or payload.get("_p") != purpose
        or int(payload.get("_e", 0)) <= time.time()
    ):
        return None
    return {k: str(v) for k, v in payload.items() if not k.startswith("_")}
