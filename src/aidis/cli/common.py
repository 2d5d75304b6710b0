"""What every `aidis` command shares: settings, the app, and one way to fail (one line, exit 2)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from aidis.app import AppContext, build_app
from aidis.config import Settings, load_settings
from aidis.errors import AidisError
from aidis.services.base import Clock
from aidis.telemetry import configure_logging

err = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    """Print one red line on stderr and return the Exit to raise (code 2)."""
    err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True, highlight=False)
    return typer.Exit(code=2)


def internal_error_log(exc: BaseException) -> str:
    """Append `exc` with its traceback to the data directory's `cli-errors.log`; returns where it went."""
    import traceback
    from datetime import UTC, datetime
    from pathlib import Path

    try:
        folder = load_settings().data_dir
    except AidisError:
        folder = Path.home() / ".local" / "share" / "aidis"
    path = Path(folder) / "cli-errors.log"
    text = "".join(traceback.format_exception(exc))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"--- {datetime.now(UTC).isoformat()}\n{text}")
    except OSError:
        sys.stderr.write(text)  # nowhere to keep it: better on the screen than lost
        return "the lines above"
    return str(path)


def settings() -> Settings:
    """Settings from the environment, or a one-line error naming the bad variable."""
    try:
        return load_settings()
    except AidisError as exc:
        raise fail(exc.message) from exc


def build(config: Settings, *, migrate: bool = True, clock: Clock | None = None) -> AppContext:
    """The app on the configured database (on `clock`'s time, when given), or a one-line error saying
    what failed."""
    try:
        return (
            build_app(config, migrate=migrate)
            if clock is None
            else build_app(config, migrate=migrate, clock=clock)
        )
    except AidisError as exc:
        raise fail(exc.message) from exc


@contextmanager
def quiet_app() -> Iterator[AppContext]:
    """The app for a short command: errors only in the log, closed afterwards, AidisErrors as one line."""
    config = settings()
    configure_logging("ERROR", json_logs=config.json_logs)  # every AidisError is the one line
    app = build(config)
    try:
        yield app
    except AidisError as exc:
        raise fail(exc.message) from exc
    finally:
        app.close()
