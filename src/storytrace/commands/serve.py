"""``storytrace serve``: the web UI and JSON API over a store, read-only."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from storytrace.commands.common import DEFAULT_DB, DbOption, app, err
from storytrace.web import MAX_COMPARE_WORDS


@app.command()
def serve(
    db: DbOption = DEFAULT_DB,
    host: Annotated[
        str,
        typer.Option(
            metavar="ADDRESS", help="Address to bind; loopback unless you mean to share it."
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=1, max=65535, metavar="PORT", help="Port to listen on.")
    ] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=32, metavar="N", help="Server processes.")] = 1,
    max_compare_words: Annotated[
        int,
        typer.Option(
            min=1,
            metavar="WORDS",
            help="Longest article (in words) a comparison accepts; longer ones get 413.",
        ),
    ] = MAX_COMPARE_WORDS,
) -> None:
    """Web UI and JSON API over the store (opened read-only)."""
    import uvicorn

    from storytrace.web.app import create_app

    # opens the store now, so a bad --db fails here in one line
    application = create_app(db, max_compare_words=max_compare_words)
    err.print(f"serving {db} on http://{host}:{port}/  (API docs at /docs)")
    if workers == 1:
        uvicorn.run(application, host=host, port=port, log_level="warning")
        return
    os.environ["STORYTRACE_DB"] = str(db.resolve())
    os.environ["STORYTRACE_MAX_COMPARE_WORDS"] = str(max_compare_words)
    uvicorn.run(
        "storytrace.web.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )
