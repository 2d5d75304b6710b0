"""`aidis embed`: what semantic search has to work with, and `--backfill` to embed the rest now.
A progress bar on stderr; the result on stdout."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.progress import Progress

from aidis.cli.common import err, quiet_app


def embed_command(
    backfill: Annotated[
        bool,
        typer.Option("--backfill", help="Embed every context that has no vector of the configured model"),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON")] = False,
) -> None:
    """Show how many contexts semantic search can rank (and with which model); --backfill embeds the rest
    now instead of waiting for a running server to do it in the background."""
    with quiet_app() as app:
        before = app.embedder.status()
        made = 0
        if backfill and before.model is not None and before.missing:
            with Progress(console=err, transient=True) as bars:
                task = bars.add_task(f"embedding with {before.model}", total=before.missing)
                made = app.embedder.backfill(lambda n: bars.advance(task, n))
        status = app.embedder.status() if made else before
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "model": status.model,
                    "embedded": status.embedded,
                    "missing": status.missing,
                    "other_models": status.other_models,
                    "made_now": made,
                },
                indent=2,
            )
        )
        return
    if status.model is None:
        typer.echo("semantic search is off (AIDIS_EMBEDDING_MODEL=off); nothing to embed")
        return
    line = f"{status.embedded} context(s) embedded with {status.model}, {status.missing} without a vector"
    if backfill:
        line += f"; {made} embedded now"
    elif status.missing:
        line += " (a running server embeds them in the background; --backfill does it now)"
    typer.echo(line)
    for model, count in sorted(status.other_models.items()):
        typer.echo(
            f"{count} vector(s) of {model} remain from an earlier model; they are replaced as they are re-made"
        )
