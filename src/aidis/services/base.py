"""What every service shares: the engine, the clock, and the unit of work."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import InterfaceError, OperationalError

from aidis.db.engine import READ_ONLY_OPTION
from aidis.errors import Unavailable
from aidis.telemetry import Telemetry

log = logging.getLogger("aidis.db")

Clock = Callable[[], datetime]


class ServiceBase:
    """Holds the engine and clock; `unit_of_work()` yields one transaction."""

    def __init__(self, engine: Engine, clock: Clock, telemetry: Telemetry | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.telemetry = telemetry or Telemetry()

    @contextmanager
    def unit_of_work(self) -> Iterator[Connection]:
        """One write transaction; a lost database becomes `Unavailable` with the driver's reason logged."""
        with _database_errors(), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read-only connection (on SQLite it takes no write lock)."""
        with _database_errors(), self.engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as conn:
            yield conn


@contextmanager
def _database_errors() -> Iterator[None]:
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        reason = " ".join(str(getattr(exc, "orig", exc)).split())[:200]
        log.warning("database unavailable: %s", reason)
        raise Unavailable(
            f"the AIDIS database cannot be reached right now ({reason}); nothing was written, retry shortly"
        ) from exc
