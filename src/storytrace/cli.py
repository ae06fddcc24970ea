"""The ``storytrace`` command line: presentation only, every result comes from the library.

Errors the user can fix (``StorytraceError``) print one line on stderr and exit 2; an
unexpected exception prints one line naming it as a bug and exits 1. Set
``STORYTRACE_DEBUG=1`` to see the traceback instead.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from storytrace.errors import InputError, StorytraceError
from storytrace.web import MAX_COMPARE_WORDS

app = typer.Typer(
    name="storytrace",
    help="Trace one news story across outlets: copies, rewrites, quotes, labels and stories.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


# Reading budgets, shared by every command that reads files (see storytrace.ingest.limits).
MaxRecordMb = Annotated[
    float,
    typer.Option(
        "--max-record-mb",
        min=0.01,
        help="Largest record read: a text or HTML file, a JSON line, a CSV row, a WARC page.",
    ),
]
MaxFileMb = Annotated[
    float,
    typer.Option(
        "--max-file-mb",
        min=0.01,
        help="Largest JSON document or feed parsed in one piece, once decompressed.",
    ),
]
MaxInflatedGb = Annotated[
    float,
    typer.Option(
        "--max-inflated-gb", min=0.001, help="Largest size any compressed file may expand to."
    ),
]
MaxInflationRatio = Annotated[
    float,
    typer.Option(
        "--max-inflation-ratio",
        min=1,
        help="Largest decompressed/compressed size ratio (a bomb inflates 1,000-fold).",
    ),
]


def _limits(record_mb: float, file_mb: float, inflated_gb: float, ratio: float):
    from storytrace.ingest.limits import GB, MB, Limits

    return Limits(
        max_record_bytes=int(record_mb * MB),
        max_whole_file_bytes=int(file_mb * MB),
        max_inflated_bytes=int(inflated_gb * GB),
        max_inflation_ratio=ratio,
    )


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
        file, _limits(max_record_mb, max_file_mb, max_inflated_gb, max_inflation_ratio)
    )
    if as_json:
        _print_json(article.to_dict())
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
    from storytrace.compare import CompareOptions
    from storytrace.compare import compare as run_compare

    if html is not None and not html.parent.is_dir():
        raise InputError(f"{html.parent}: no such folder for the HTML report")
    with err.status("comparing…"):
        options = CompareOptions(
            entities=not no_nlp,
            max_words=max_words,
            limits=_limits(max_record_mb, max_file_mb, max_inflated_gb, max_inflation_ratio),
        )
        result = run_compare(a, b, options)
    if html is not None:
        from storytrace.report.html import write

        write(result, html)
    if as_json:
        _print_json(result.to_dict())
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
        file, _limits(max_record_mb, max_file_mb, max_inflated_gb, max_inflation_ratio)
    )
    found = extract_quotes(article.text)
    if as_json:
        _print_json({"article": article.id, "quotes": [q.to_dict() for q in found]})
        return
    from storytrace.report.terminal import quotes_table

    out.print(quotes_table(found, f"{len(found)} quotes in {article.title or article.id}"))


DbOption = Annotated[Path, typer.Option("--db", help="The SQLite store.")]
DEFAULT_DB = Path("storytrace.db")


class _RateColumn:
    """Items per second, for the progress bar."""

    def __new__(cls):
        from rich.progress import ProgressColumn
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task):
                speed = task.finished_speed or task.speed
                return Text(f"{speed:,.1f}/s" if speed else "", style="dim")

        return Rate()


@contextmanager
def _progress(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr with rate and time left; yields an advance(n) function."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _open(db: Path, create: bool = False):
    from storytrace.store.db import Store

    return Store.open(db, create=create)


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, folders (recursive) or globs.")],
    db: DbOption = DEFAULT_DB,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="Force a reader: text, html, json, jsonl, csv, feed, warc."),
    ] = None,
    text_field: Annotated[
        str | None, typer.Option("--text-field", help="JSONL/CSV column holding the body.")
    ] = None,
    title_field: Annotated[
        str | None, typer.Option("--title-field", help="JSONL/CSV column holding the title.")
    ] = None,
    date_field: Annotated[
        str | None, typer.Option("--date-field", help="JSONL/CSV column holding the date.")
    ] = None,
    url_field: Annotated[
        str | None, typer.Option("--url-field", help="JSONL/CSV column holding the URL.")
    ] = None,
    outlet_field: Annotated[
        str | None, typer.Option("--outlet-field", help="JSONL/CSV column holding the outlet.")
    ] = None,
    max_record_mb: MaxRecordMb = 10,
    max_file_mb: MaxFileMb = 256,
    max_inflated_gb: MaxInflatedGb = 64,
    max_inflation_ratio: MaxInflationRatio = 200,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Store articles from files; the same content is stored once; rerun to resume."""
    from storytrace.corpus import IngestSummary, expand_paths
    from storytrace.corpus import ingest as run_ingest
    from storytrace.ingest import FieldMap

    if fmt is not None and fmt not in ("text", "html", "json", "jsonl", "csv", "feed", "warc"):
        raise InputError(f"unknown format {fmt!r}")
    fields = FieldMap().prefer(
        text=text_field, title=title_field, published=date_field, url=url_field, outlet=outlet_field
    )
    limits = _limits(max_record_mb, max_file_mb, max_inflated_gb, max_inflation_ratio)
    files, bad = expand_paths(paths)
    summary = IngestSummary(rejected=list(bad))
    with _open(db, create=True) as store:
        with store.transaction():
            for arg, reason in bad:
                store.add_rejection(arg, reason)
        with _progress("ingesting files", len(files)) as advance:
            run_ingest(
                store,
                files,
                fields=fields,
                fmt=fmt,
                progress=advance,
                summary=summary,
                limits=limits,
            )
        total = store.count()
    if as_json:
        _print_json(
            {
                "files": summary.files,
                "unchanged_files": summary.unchanged,
                "added": summary.added,
                "duplicates": summary.duplicates,
                "resumed": summary.resumed,
                "rejected": [{"source": s, "reason": r} for s, r in summary.rejected],
                "articles_in_store": total,
                "db": str(db),
            }
        )
    else:
        resumed = (
            f", {summary.resumed} already stored by an interrupted run" if summary.resumed else ""
        )
        out.print(
            f"{summary.added} added, {summary.duplicates} skipped as duplicates{resumed}, "
            f"{len(summary.rejected)} rejected, {summary.unchanged} unchanged files skipped; "
            f"{total} articles in {db}",
            markup=False,
            soft_wrap=True,
        )
        for source, reason in summary.rejected[:50]:
            err.print(f"  rejected {source}: {reason}", markup=False)
        if len(summary.rejected) > 50:
            err.print(
                f"  … and {len(summary.rejected) - 50} more (see `storytrace export --table rejections`)"
            )
    if summary.failed:
        raise typer.Exit(1)


@app.command()
def dedup(
    db: DbOption = DEFAULT_DB,
    threshold: Annotated[
        float,
        typer.Option(
            help="Estimated Jaccard of word 5-gram sets to call two articles near-duplicates.",
            min=0.05,
            max=0.99,
        ),
    ] = 0.7,
    keep_list: Annotated[
        Path | None,
        typer.Option("--keep-list", help="Write the ids to keep (canonical + ungrouped) here."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Exact and near-duplicate groups (MinHash + LSH), each with its earliest article as canonical."""
    from storytrace.corpus import dedup as run_dedup

    with _open(db) as store:
        with _progress("signing", len(store.unsigned_ids())) as advance:
            result = run_dedup(store, threshold=threshold, progress=advance)
        groups = store.dup_groups()
        if keep_list is not None:
            dropped = {
                r["article_id"]
                for rows in groups.values()
                for r in rows
                if r["article_id"] != r["canonical"]
            }
            keep = [r["id"] for r in store.article_rows("id") if r["id"] not in dropped]
            keep_list.write_text("\n".join(keep) + "\n", encoding="utf-8")
    if as_json:
        _print_json(
            {
                "signed": result.signed,
                "pairs": result.pairs,
                "groups": [
                    {
                        "group": g,
                        "canonical": rows[0]["canonical"],
                        "members": [
                            {
                                "id": r["article_id"],
                                "outlet": r["outlet"],
                                "published": r["published"],
                                "title": r["title"],
                                "similarity": round(r["similarity"], 4),
                                "exact": r["similarity"] >= 1.0
                                and r["article_id"] != r["canonical"],
                            }
                            for r in rows
                        ],
                    }
                    for g, rows in groups.items()
                ],
            }
        )
        return
    out.print(
        f"{len(groups)} near-duplicate groups ({result.pairs} pairs) at threshold {threshold}"
    )
    for g, rows in groups.items():
        out.print(f"[bold]{g}[/bold]  canonical {rows[0]['canonical'][:12]}")
        for r in rows:
            mark = "*" if r["article_id"] == r["canonical"] else " "
            out.print(
                f"  {mark} {r['article_id'][:12]}  {r['similarity']:.2f}  {r['published'] or 'undated':25}  "
                f"{r['outlet'] or '?':22}  {(r['title'] or '')[:60]}",
                markup=False,
            )
    if keep_list is not None:
        err.print(f"keep-list written to {keep_list}")


@app.command()
def reuse(
    db: DbOption = DEFAULT_DB,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Reused passages between articles (rare shared n-grams, then alignment)."""
    from storytrace.corpus import reuse as run_reuse

    with _open(db) as store, _progress("aligning pairs", None) as advance:
        result = run_reuse(store, progress=advance)
    if as_json:
        _print_json(
            {
                "candidates": result.candidates,
                "aligned": result.aligned,
                "passages": result.passages,
            }
        )
    else:
        out.print(
            f"{result.candidates} candidate pairs, {result.aligned} newly aligned, {result.passages} passages"
        )


@app.command()
def analyse(
    db: DbOption = DEFAULT_DB,
    embed: Annotated[
        bool, typer.Option("--embed/--no-embed", help="Use sentence embeddings for stories.")
    ] = False,
    quotes_too: Annotated[
        bool, typer.Option("--quotes/--no-quotes", help="Find quotes in every article.")
    ] = True,
) -> None:
    """Run every corpus job: dedup, reuse, stories, quotes."""
    from storytrace import corpus

    with _open(db) as store:
        with _progress("near-duplicates", len(store.unsigned_ids())) as advance:
            d = corpus.dedup(store, progress=advance)
        with _progress("reuse", None) as advance:
            r = corpus.reuse(store, progress=advance)
        with _progress("stories", store.count()) as advance:
            found = corpus.stories(store, embed=embed, progress=advance)
        q = 0
        if quotes_too:
            with _progress("quotes", len(store.unquoted_ids())) as advance:
                q = corpus.quotes(store, progress=advance)
    out.print(
        f"{d.groups} near-duplicate groups, {r.passages} reused passages, "
        f"{found} stories, quotes found in {q} articles"
    )


@app.command()
def stories(
    db: DbOption = DEFAULT_DB,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Cluster again before listing.")
    ] = False,
    embed: Annotated[bool, typer.Option("--embed/--no-embed")] = False,
) -> None:
    """Stories found in the store: id, headline, keywords, dates, outlets, articles."""
    from storytrace import corpus

    with _open(db) as store:
        listed = store.stories()
        if rebuild or not listed:
            with _progress("stories", store.count()) as advance:
                corpus.stories(store, embed=embed, progress=advance)
            listed = store.stories()
    if as_json:
        _print_json([s.to_dict() for s in listed])
        return
    from rich.table import Table

    table = Table(title=f"{len(listed)} stories", expand=True)
    table.add_column("id", no_wrap=True)
    table.add_column("n", justify="right")
    table.add_column("dates", no_wrap=True)
    table.add_column("headline", ratio=3)
    table.add_column("keywords", ratio=2)
    table.add_column("outlets", justify="right")
    for s in listed:
        dates = f"{(s.first or '?')[5:10]}…{(s.last or '?')[5:10]}"
        table.add_row(
            s.id,
            str(len(s.article_ids)),
            dates,
            s.headline,
            ", ".join(s.keywords[:4]),
            str(len(s.outlets)),
        )
    out.print(table)


@app.command()
def story(
    story_id: Annotated[str, typer.Argument(help="Story id (a unique prefix is enough).")],
    db: DbOption = DEFAULT_DB,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    html: Annotated[Path | None, typer.Option("--html", help="Write the story page here.")] = None,
) -> None:
    """One story outlet by outlet: timeline, who published first, reused passages, quotes."""
    from storytrace.report.story import story_view

    with _open(db) as store:
        view = story_view(store, story_id)
    if html is not None:
        from storytrace.report.story_html import write_story

        if not html.parent.is_dir():
            raise InputError(f"{html.parent}: no such folder for the HTML report")
        write_story(view, html)
    if as_json:
        _print_json(view)
    else:
        from storytrace.report.terminal import show_story

        show_story(view, out)
    if html is not None:
        err.print(f"HTML report written to {html}")


@app.command()
def outlets(
    db: DbOption = DEFAULT_DB,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    dot: Annotated[bool, typer.Option("--dot", help="Print a Graphviz digraph instead.")] = False,
) -> None:
    """Who takes text from whom: per pair of outlets, articles and passages reused."""
    from storytrace.report.story import outlet_flows

    with _open(db) as store:
        flows = outlet_flows(store)
    if as_json:
        _print_json(flows)
    elif dot:
        sys.stdout.write("digraph reuse {\n  rankdir=LR;\n")
        for f in flows:
            sys.stdout.write(
                f'  "{f["from"]}" -> "{f["to"]}" [label="{f["articles"]} art / {f["passages"]} pas"];\n'
            )
        sys.stdout.write("}\n")
    else:
        from rich.table import Table

        table = Table(title="text reuse between outlets (source → taker)")
        for col in ("from", "to", "article pairs", "passages", "words"):
            table.add_column(col)
        for f in flows:
            table.add_row(
                f["from"], f["to"], str(f["articles"]), str(f["passages"]), str(f["words"])
            )
        out.print(table)


@app.command()
def export(
    db: DbOption = DEFAULT_DB,
    fmt: Annotated[str, typer.Option("--format", help="jsonl, parquet or csv.")] = "jsonl",
    table: Annotated[
        str, typer.Option("--table", help="articles, passages, quotes, stories or rejections.")
    ] = "articles",
    output: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output file (stdout for jsonl/csv when omitted)."),
    ] = None,
) -> None:
    """Export a table of the store as JSONL, Parquet or CSV."""
    from storytrace.report.export import export_table

    if fmt not in ("jsonl", "parquet", "csv"):
        raise InputError(f"unknown export format {fmt!r} (jsonl, parquet, csv)")
    if fmt == "parquet" and output is None:
        raise InputError("parquet needs --out FILE")
    with _open(db) as store:
        n = export_table(store, table, fmt, output)
    if output is not None:
        err.print(f"{n} rows written to {output}")


@app.command()
def serve(
    db: DbOption = DEFAULT_DB,
    host: Annotated[
        str, typer.Option(help="Address to bind; loopback unless you mean to share it.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=32, help="Server processes.")] = 1,
    max_compare_words: Annotated[
        int,
        typer.Option(
            min=1, help="Longest article (in words) a comparison accepts; longer ones get 413."
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


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _classes(name: str) -> tuple[type[BaseException], ...]:
    """Exception ``name`` as click defines it and as typer's own copy of click does.

    Recent typer releases carry a private copy of click, whose exceptions are other
    classes than the installed click's; a bad option value raises typer's, so both count.
    """
    found: list[type[BaseException]] = []
    for module in ("click.exceptions", "typer._click.exceptions", "typer.exceptions", "typer"):
        try:
            cls = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
        if isinstance(cls, type) and issubclass(cls, BaseException):
            found.append(cls)
    return tuple(dict.fromkeys(found))


_EXITS = _classes("Exit")
_ABORTS = _classes("Abort")
_USAGE_ERRORS = _classes("ClickException")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    debug = os.environ.get("STORYTRACE_DEBUG") == "1"
    try:
        # Outside standalone mode click hands back ``typer.Exit``'s code as the return value
        # instead of raising it, so a command's "something failed" status arrives here.
        status = app(args=argv, prog_name="storytrace", standalone_mode=False)
    except _EXITS as exc:
        return exc.exit_code
    except _ABORTS:
        err.print("storytrace: aborted")
        return 130
    except _USAGE_ERRORS as exc:  # a bad option value or a missing argument: one line, exit 2
        ctx = getattr(exc, "ctx", None)
        where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        sys.stderr.write(f"storytrace: error: {_one_line(exc.format_message())}{where}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("storytrace: interrupted")
        return 130
    except StorytraceError as exc:
        if debug:
            raise
        sys.stderr.write(f"storytrace: error: {_one_line(exc)}\n")
        return 2
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so in one line, keep the traceback for debugging
        if debug:
            raise
        sys.stderr.write(
            f"storytrace: internal error ({type(exc).__name__}: {_one_line(exc)[:300]}); "
            "rerun with STORYTRACE_DEBUG=1 for details\n"
        )
        return 1
    return status if isinstance(status, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
