"""What every `aidis` command shares: settings, the app, and one way to fail (one line, exit 2)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from aidis.app import AppContext, build_app
from aidis.config import Settings, load_settings
from aidis.errors import AidisError
from aidis.telemetry import configure_logging

err = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    """Print one red line on stderr and return the Exit to raise (code 2)."""
    err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True, highlight=False)
    return typer.Exit(code=2)


def settings() -> Settings:
    """Settings from the environment, or a one-line error naming the bad variable."""
    try:
        return load_settings()
    except AidisError as exc:
        raise fail(exc.message) from exc


def build(config: Settings, *, migrate: bool = True) -> AppContext:
    """The app on the configured database, or a one-line error saying what failed."""
    try:
        return build_app(config, migrate=migrate)
    except AidisError as exc:
        raise fail(exc.message) from exc


@contextmanager
def quiet_app() -> Iterator[AppContext]:
    """The app for a short command: warnings only in the log, closed afterwards, AidisErrors as one line."""
    config = settings()
    configure_logging("WARNING", json_logs=config.json_logs)
    app = build(config)
    try:
        yield app
    except AidisError as exc:
        raise fail(exc.message) from exc
    finally:
        app.close()
