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
    OutletOption,
    PublishedOption,
    TitleOption,
    UrlOption,
    app,
    err,
    limits_of,
    metadata_of,
    metadata_option,
    out,
    print_json,
    report_written,
)
from storytrace.errors import InputError


@app.command()
def extract(
    file: Annotated[
        str,
        typer.Argument(
            help="Article file (text, HTML, JSON/JSONL, CSV, feed); FILE#N picks record N, from 1."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the article as JSON.")] = False,
    outlet: OutletOption = None,
    published: PublishedOption = None,
    title: TitleOption = None,
    url: UrlOption = None,
    max_record_mb: MaxRecordMb = 10,
    max_file_mb: MaxFileMb = 256,
    max_inflated_gb: MaxInflatedGb = 64,
    max_inflation_ratio: MaxInflationRatio = 200,
) -> None:
    """Clean article text and metadata from one file.

    What the file does not say comes from its row in a storytrace.csv beside it, then from
    --outlet, --published, --title and --url.
    """
    from storytrace.ingest import load_article

    article = load_article(
        file,
        limits_of(max_record_mb, max_file_mb, max_inflated_gb, max_inflation_ratio),
        metadata_of(outlet, published, title, url),
    )
    if as_json:
        print_json(article.to_dict())
        return
    from rich.text import Text

    from storytrace.report import words

    out.print(Text(words.title(article.title), style="bold"))
    facts = [words.outlet(article.outlet), words.date(article.published)]
    facts += [x for x in (article.language, article.url) if x]
    out.print(Text(" · ".join(facts), style="dim"))
    if article.stripped:
        out.print(Text(f"stripped: {' | '.join(article.stripped)}", style="dim"))
    out.print()
    out.print(article.text, markup=False)


@app.command()
def compare(
    a: Annotated[
        str, typer.Argument(help="First article: a path, FILE#N (record N, from 1), or text.")
    ],
    b: Annotated[str, typer.Argument(help="Second article, as A.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the documented JSON (docs/schema.md).")
    ] = False,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            metavar="FILE",
            help="Write a side-by-side HTML page here and print its path instead of the "
            "report (with --json, the JSON too).",
        ),
    ] = None,
    no_nlp: Annotated[
        bool, typer.Option("--no-nlp", help="Skip entities and quotes (faster).")
    ] = False,
    max_words: Annotated[
        int,
        typer.Option(
            "--max-words", min=1, metavar="WORDS", help="Longest article compared, in words."
        ),
    ] = 30_000,
    a_outlet: Annotated[str | None, metadata_option("--a-outlet", "outlet", "A")] = None,
    a_published: Annotated[str | None, metadata_option("--a-published", "published", "A")] = None,
    a_title: Annotated[str | None, metadata_option("--a-title", "title", "A")] = None,
    a_url: Annotated[str | None, metadata_option("--a-url", "url", "A")] = None,
    b_outlet: Annotated[str | None, metadata_option("--b-outlet", "outlet", "B")] = None,
    b_published: Annotated[str | None, metadata_option("--b-published", "published", "B")] = None,
    b_title: Annotated[str | None, metadata_option("--b-title", "title", "B")] = None,
    b_url: Annotated[str | None, metadata_option("--b-url", "url", "B")] = None,
    max_record_mb: MaxRecordMb = 10,
    max_file_mb: MaxFileMb = 256,
    max_inflated_gb: MaxInflatedGb = 64,
    max_inflation_ratio: MaxInflationRatio = 200,
) -> None:
    """Show what two articles share: verbatim, near-verbatim, paraphrase; quotes; entities; similarity.

    A file's own metadata comes first, then its row in a storytrace.csv beside it, then
    --a-outlet, --b-published and the like.
    """
    from storytrace.comparison import CompareOptions
    from storytrace.comparison import compare as run_compare
    from storytrace.ingest import load_article

    if html is not None and not html.parent.is_dir():
        raise InputError(f"{html.parent}: no such folder for the HTML report")
    limits = limits_of(max_record_mb, max_file_mb, max_inflated_gb, max_inflation_ratio)
    meta_a = metadata_of(a_outlet, a_published, a_title, a_url, prefix="--a-")
    meta_b = metadata_of(b_outlet, b_published, b_title, b_url, prefix="--b-")
    with err.status("comparing…"):
        options = CompareOptions(entities=not no_nlp, max_words=max_words, limits=limits)
        article_a, article_b = load_article(a, limits, meta_a), load_article(b, limits, meta_b)
        result = run_compare(article_a, article_b, options)
    if html is not None:
        from storytrace.report.html import write

        write(result, html)
        report_written(html, as_json)
    if as_json:
        print_json(result.to_dict())
    elif html is None:
        from storytrace.report.terminal import show_comparison

        show_comparison(result, out)


@app.command()
def quotes(
    file: Annotated[
        str, typer.Argument(help="Article file (FILE#N picks record N, from 1) or text.")
    ],
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
    from storytrace.report.terminal import quotes_table, quotes_title

    out.print(quotes_table(found, quotes_title(found, article)))
