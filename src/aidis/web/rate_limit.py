"""Slowing down whoever keeps presenting bad credentials, per address and per user.

Invariant: after MAX_FAILURES failed authentications within WINDOW seconds from one address (or
against one token id from one address), further bad attempts from it are answered 429 with
`Retry-After` until the window has passed; a valid token is still let through (a stranger's bad tries
never lock out its owner, wherever they come from); a success does not reset another address's count. Failures are logged with the address and the token's public id, never the token.
The counts live in this process (each worker counts its own).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

log = logging.getLogger("aidis.web")

MAX_FAILURES = 10
WINDOW = 60.0
MAX_KEYS = 10_000  # beyond this the oldest keys are forgotten (memory stays bounded)


class FailureLimiter:
    """Counts failures per key in a sliding window."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> int:
        """Seconds until these keys may try again (0: now)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._recent(key, now)
                if len(times) >= self.max_failures:
                    wait = max(wait, times[0] + self.window - now)
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, *keys: str, reason: str = "") -> None:
        """Count one failure against each key."""
        now = time.monotonic()
        with self._lock:
            if len(self._failures) > MAX_KEYS:
                for stale in list(self._failures)[: MAX_KEYS // 10]:
                    del self._failures[stale]
            for key in keys:
                self._recent(key, now).append(now)
        log.warning("authentication failed: %s", reason, extra={"keys": list(keys)})

    def credential_wait(self, address: str, public_id: str | None) -> int:
        """Seconds before this address (and this token id, when the credential names one) may try again."""
        return self.retry_after(*_credential_keys(address, public_id))

    def credential_failed(self, address: str, public_id: str | None, message: str) -> None:
        """Count a refused credential against its address and token id (logged without the token)."""
        self.failed(
            *_credential_keys(address, public_id),
            reason=f"{message} from {address} (token id {public_id or '-'})",
        )

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times


def _credential_keys(address: str, public_id: str | None) -> list[str]:
    """An address, and the pair of an address and a token id: never a token id alone, which anyone can
    read off a token's public part and would use to lock its owner out from everywhere."""
    return [f"addr:{address}"] + ([f"pair:{address}/{public_id}"] if public_id else [])
