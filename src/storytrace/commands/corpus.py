"""Commands over a store: ingest, analyse and its parts, stories, outlets, export.

``analyse``, ``dedup``, ``reuse`` and ``stories --rebuild`` run the corpus jobs in the
local engine (``storytrace.pipeline.store``), the same jobs ``storytrace run`` runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from storytrace.commands.common import (
    DEFAULT_DB,
    DbOption,
    MaxFileMb,
    MaxInflatedGb,
    MaxInflationRatio,
    MaxRecordMb,
    app,
    err,
    limits_of,
    open_store,
    out,
    print_json,
    progress_bar,
    step_lines,
)
from storytrace.errors import InputError

Threshold = Annotated[
    float,
    typer.Option(
        help="Estimated Jaccard of word 5-gram sets to call two articles near-duplicates.",
        min=0.05,
        max=0.99,
    ),
]
Workers = Annotated[
    int | None, typer.Option("--workers", min=1, help="Processes to use (default: every core).")
]
Embed = Annotated[
    bool, typer.Option("--embed/--no-embed", help="Use sentence embeddings as story evidence.")
]


def _analyse(db: Path, run: tuple[str, ...], workers: int | None, **options: object):
    from storytrace.pipeline.jobs import RunOptions
    from storytrace.pipeline.store import analyse as run_analyse

    with open_store(db) as store, step_lines("analysing") as report:
        return run_analyse(store, RunOptions(**options), run, workers=workers, progress=report)


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, folders (recursive) or globs.")],
    db: DbOption = DEFAULT_DB,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="Force a reader: text, html, json, jsonl, csv, feed, warc, parquet."
        ),
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
    from storytrace.corpus import IngestSummary
    from storytrace.corpus import ingest as run_ingest
    from storytrace.ingest import FORMATS, FieldMap
    from storytrace.ingest.paths import expand_paths

    if fmt is not None and fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    fields = FieldMap().prefer(
        text=text_field, title=title_field, published=date_field, url=url_field, outlet=outlet_field
    )
    limits = limits_of(max_record_mb, max_file_mb, max_inflated_gb, max_inflation_ratio)
    files, bad = expand_paths(paths)
    summary = IngestSummary(rejected=list(bad))
    with open_store(db, create=True) as store:
        with store.transaction():
            for arg, reason in bad:
                store.add_rejection(arg, reason)
        with progress_bar("ingesting files", len(files)) as advance:
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
        print_json(
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
def analyse(
    db: DbOption = DEFAULT_DB,
    embed: Embed = False,
    quotes_too: Annotated[
        bool, typer.Option("--quotes/--no-quotes", help="Find quotes and entities too.")
    ] = True,
    threshold: Threshold = 0.7,
    workers: Workers = None,
) -> None:
    """Run every corpus job: near-duplicates, reuse, stories, quotes (resumable)."""
    run = ("dedup", "reuse", "stories", "quotes") if quotes_too else ("dedup", "reuse", "stories")
    s = _analyse(db, run, workers, threshold=threshold, embed=embed, quotes=quotes_too)
    out.print(
        f"{s.groups} near-duplicate groups; {s.passages_new} reused passages new this run, "
        f"{s.passages_total} in the store; {s.stories} stories; quotes read in "
        f"{s.quoted_new} articles this run, {s.quoted_total} in the store",
        markup=False,
        soft_wrap=True,
    )


@app.command()
def dedup(
    db: DbOption = DEFAULT_DB,
    threshold: Threshold = 0.7,
    keep_list: Annotated[
        Path | None,
        typer.Option("--keep-list", help="Write the ids to keep (canonical + ungrouped) here."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the groups as JSON.")] = False,
    workers: Workers = None,
) -> None:
    """Exact and near-duplicate groups (MinHash + LSH), each with its earliest article as canonical."""
    _analyse(db, ("dedup",), workers, threshold=threshold)
    with open_store(db) as store:
        groups = store.dup_groups()
        if keep_list is not None:
            dropped = {m.article_id for rows in groups.values() for m in rows if not m.is_canonical}
            keep = [i for i in store.article_ids() if i not in dropped]
            keep_list.write_text("\n".join(keep) + "\n", encoding="utf-8")
    if as_json:
        print_json(
            {
                "groups": [
                    {
                        "group": g,
                        "canonical": rows[0].canonical,
                        "members": [
                            {
                                "id": m.article_id,
                                "outlet": m.outlet,
                                "published": m.published,
                                "title": m.title,
                                "similarity": round(m.similarity, 4),
                                "exact": m.similarity >= 1.0 and not m.is_canonical,
                            }
                            for m in rows
                        ],
                    }
                    for g, rows in groups.items()
                ],
            }
        )
        return
    out.print(f"{len(groups)} near-duplicate groups at threshold {threshold}")
    for g, rows in groups.items():
        out.print(f"[bold]{g}[/bold]  canonical {rows[0].canonical[:12]}")
        for m in rows:
            mark = "*" if m.is_canonical else " "
            out.print(
                f"  {mark} {m.article_id[:12]}  {m.similarity:.2f}  {m.published or 'undated':25}  "
                f"{m.outlet or '?':22}  {(m.title or '')[:60]}",
                markup=False,
            )
    if keep_list is not None:
        err.print(f"keep-list written to {keep_list}")


@app.command()
def reuse(
    db: DbOption = DEFAULT_DB,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
    workers: Workers = None,
) -> None:
    """Reused passages between articles (rare shared n-grams, then alignment)."""
    s = _analyse(db, ("dedup", "reuse"), workers)
    if as_json:
        print_json({"passages_new": s.passages_new, "passages": s.passages_total})
    else:
        out.print(f"{s.passages_new} passages new this run, {s.passages_total} in the store")


@app.command()
def stories(
    db: DbOption = DEFAULT_DB,
    as_json: Annotated[bool, typer.Option("--json", help="Print the stories as JSON.")] = False,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Cluster again before listing.")
    ] = False,
    embed: Embed = False,
    workers: Workers = None,
) -> None:
    """Stories found in the store: id, headline, keywords, dates, outlets, articles."""
    with open_store(db) as store:
        listed = store.stories()
    if rebuild or not listed:
        _analyse(db, ("stories",), workers, embed=embed)
        with open_store(db) as store:
            listed = store.stories()
    if as_json:
        print_json([s.to_dict() for s in listed])
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

    with open_store(db) as store:
        view = story_view(store, story_id)
    if html is not None:
        from storytrace.report.story_html import write_story

        if not html.parent.is_dir():
            raise InputError(f"{html.parent}: no such folder for the HTML report")
        write_story(view, html)
    if as_json:
        print_json(view)
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

    with open_store(db) as store:
        flows = outlet_flows(store)
    if as_json:
        print_json(flows)
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
        str,
        typer.Option(
            "--table",
            help="articles, rejections, passages, quotes, entities, labels, stories or"
            " story_members (columns: docs/schema.md).",
        ),
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
    with open_store(db) as store:
        n = export_table(store, table, fmt, output)
    if output is not None:
        err.print(f"{n} rows written to {output}")
