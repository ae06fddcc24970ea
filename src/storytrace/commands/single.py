"""Commands on one or two articles: extract, compare, quotes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from storytrace.commands.common import (
    MaxFileMb,
    MaxInflatedGb,
    MaxInflationRatio,
    MaxRecordMb,
    app,
    err,
    limits_of,
    out,
    print_json,
)
from storytrace.errors import InputError


@app.command()
def extract(
    file: Annotated[
        str,
        typer.Argument(
            help="Article file (text, HTML, JSON/JSONL, CSV, feed); FILE#N picks record N."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the article as JSON.")] = False,
    max_record_mb: MaxRecordMb = 10,
    max_file_mb: MaxFileMb = 256,
    max_inflated_gb: MaxInflatedGb = 64,
    max_inflation_ratio: MaxInflationRatio = 200,
) -> None:
    """Clean article text and metadata from one file."""
    from storytrace.ingest import load_article

    article = load_article(
        file, limits_of(max_record_mb, max_file_mb, max_inflated_gb, max_inflation_ratio)
    )
    if as_json:
        print_json(article.to_dict())
        return
    out.print(f"[bold]{article.title or '(untitled)'}[/bold]")
    out.print(
        f"[dim]{article.outlet or 'unknown outlet'} · {article.published or 'undated'} · "
        f"{article.language or '?'}{' · ' + article.url if article.url else ''}[/dim]"
    )
    if article.stripped:
        out.print(f"[dim]stripped: {' | '.join(article.stripped)}[/dim]")
    out.print()
    out.print(article.text, markup=False)


@app.command()
def compare(
    a: Annotated[str, typer.Argument(help="First article (path, FILE#N, or text).")],
    b: Annotated[str, typer.Argument(help="Second article.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the documented JSON (docs/schema.md).")
    ] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a side-by-side HTML page here.")
    ] = None,
    no_nlp: Annotated[
        bool, typer.Option("--no-nlp", help="Skip entities and quotes (faster).")
    ] = False,
    max_words: Annotated[
        int,
        typer.Option("--max-words", min=1, help="Longest article compared, in words."),
    ] = 30_000,
    max_record_mb: MaxRecordMb = 10,
    max_file_mb: MaxFileMb = 256,
    max_inflated_gb: MaxInflatedGb = 64,
    max_inflation_ratio: MaxInflationRatio = 200,
) -> None:
    """Show what two articles share: verbatim, near-verbatim, paraphrase; quotes; entities; similarity."""
    from storytrace.comparison import CompareOptions
    from storytrace.comparison import compare as run_compare

    if html is not None and not html.parent.is_dir():
        raise InputError(f"{html.parent}: no such folder for the HTML report")
    with err.status("comparing…"):
        options = CompareOptions(
            entities=not no_nlp,
            max_words=max_words,
            limits=limits_of(max_record_mb, max_file_mb, max_inflated_gb, max_inflation_ratio),
        )
        result = run_compare(a, b, options)
    if html is not None:
        from storytrace.report.html import write

        write(result, html)
    if as_json:
        print_json(result.to_dict())
    else:
        from storytrace.report.terminal import show_comparison

        show_comparison(result, out)
    if html is not None:
        err.print(f"HTML report written to {html}")


@app.command()
def quotes(
    file: Annotated[str, typer.Argument(help="Article file (FILE#N picks a record) or text.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the quotes as JSON.")] = False,
    max_record_mb: MaxRecordMb = 10,
    max_file_mb: MaxFileMb = 256,
    max_inflated_gb: MaxInflatedGb = 64,
    max_inflation_ratio: MaxInflationRatio = 200,
) -> None:
    """Every quote in one article: speaker, cue, direct or indirect."""
    from storytrace.ingest import load_article
    from storytrace.nlp.quotes import extract_quotes

    article = load_article(
        file, limits_of(max_record_mb, max_file_mb, max_inflated_gb, max_inflation_ratio)
    )
    found = extract_quotes(article.text)
    if as_json:
        print_json({"article": article.id, "quotes": [q.to_dict() for q in found]})
        return
    from storytrace.report.terminal import quotes_table

    out.print(quotes_table(found, f"{len(found)} quotes in {article.title or article.id}"))
