"""Commands over a store: ingest, analyse and its parts, stories, outlets, export.

``analyse``, ``dedup``, ``reuse`` and ``stories --rebuild`` run the corpus jobs in the
local engine (``storytrace.pipeline.store``), the same jobs ``storytrace run`` runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from storytrace.commands.common import (
    DEFAULT_DB,
    DateField,
    DbOption,
    FormatOption,
    MaxFileMb,
    MaxInflatedGb,
    MaxInflationRatio,
    MaxRecordMb,
    OutletField,
    OutletOption,
    PublishedOption,
    TextField,
    TitleField,
    TitleOption,
    UrlField,
    UrlOption,
    app,
    err,
    exclusive,
    limits_of,
    metadata_of,
    open_store,
    out,
    print_json,
    progress_bar,
    report_written,
    step_lines,
)
from storytrace.errors import InputError
from storytrace.report import words

if TYPE_CHECKING:
    from storytrace.corpus import IngestSummary

Threshold = Annotated[
    float,
    typer.Option(
        metavar="JACCARD",
        help="Estimated Jaccard of word 5-gram sets to call two articles near-duplicates.",
        min=0.05,
        max=0.99,
    ),
]
Workers = Annotated[
    int | None,
    typer.Option("--workers", min=1, metavar="N", help="Processes to use (default: every core)."),
]
Embed = Annotated[
    bool, typer.Option("--embed/--no-embed", help="Use sentence embeddings as story evidence.")
]


def _analyse(db: Path, run: tuple[str, ...], workers: int | None, **options: object):
    from storytrace.pipeline.jobs import RunOptions
    from storytrace.pipeline.store import analyse as run_analyse

    with open_store(db) as store, step_lines("analysing", run) as report:
        return run_analyse(store, RunOptions(**options), run, workers=workers, progress=report)


def ingest_summary(summary: IngestSummary, total: int, db: Path) -> str:
    """One line that tells a first run from a rerun: what this run added, what the store holds."""
    parts = [f"{words.count(summary.added, 'article')} new this run, {total:,} in the store ({db})"]
    if summary.duplicates:
        parts.append(f"{words.count(summary.duplicates, 'duplicate')} skipped")
    if summary.resumed:
        parts.append(f"{summary.resumed:,} already stored by an interrupted run")
    if summary.unchanged:
        files = words.count(summary.files, "file")
        parts.append(f"{summary.unchanged:,} of {files} unchanged since they were read")
    parts.append(f"{len(summary.rejected):,} rejected")
    return "; ".join(parts)


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, folders (recursive) or globs.")],
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = None,
    text_field: TextField = None,
    title_field: TitleField = None,
    date_field: DateField = None,
    url_field: UrlField = None,
    outlet_field: OutletField = None,
    outlet: OutletOption = None,
    published: PublishedOption = None,
    title: TitleOption = None,
    url: UrlOption = None,
    max_record_mb: MaxRecordMb = 10,
    max_file_mb: MaxFileMb = 256,
    max_inflated_gb: MaxInflatedGb = 64,
    max_inflation_ratio: MaxInflationRatio = 200,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Store articles from files; the same content is stored once; rerun to resume.

    What a record does not say comes from its file's row in a storytrace.csv beside the
    file, then from --outlet, --published, --title and --url.
    """
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
    metadata = metadata_of(outlet, published, title, url)
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
                metadata=metadata,
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
        out.print(ingest_summary(summary, total, db), markup=False, soft_wrap=True)
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
    quoted = f"{s.quoted_new:,} this run, " if quotes_too else "(--no-quotes) "
    rows = [
        ("near-duplicate groups", f"{s.groups:,} in the store (found afresh each run)"),
        ("reused passages", f"{s.passages_new:,} new this run, {s.passages_total:,} in the store"),
        ("stories", f"{s.stories:,} in the store (found afresh each run)"),
        ("articles read for quotes", f"{quoted}{s.quoted_total:,} in the store"),
    ]
    for label, text in rows:
        out.print(f"{label + ':':26}{text}", markup=False, soft_wrap=True)


@app.command()
def dedup(
    db: DbOption = DEFAULT_DB,
    threshold: Threshold = 0.7,
    keep_list: Annotated[
        Path | None,
        typer.Option(
            "--keep-list",
            metavar="FILE",
            help="Write the ids to keep (canonical + ungrouped) here.",
        ),
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
    from rich.table import Table
    from rich.text import Text

    # one table, a section per group: at 80 columns the title wraps inside its own column
    table = Table(
        title=f"{words.count(len(groups), 'near-duplicate group')} at threshold {threshold}",
        caption="* the group's canonical article, its earliest" if groups else None,
        expand=True,
    )
    table.add_column("article", no_wrap=True)
    table.add_column("sim.", justify="right", no_wrap=True)
    table.add_column("published", no_wrap=True)
    table.add_column("outlet · title", ratio=1)
    for n, rows in enumerate(groups.values()):
        if n:
            table.add_section()
        for m in rows:
            mark = "*" if m.is_canonical else " "
            headline = Text(words.outlet(m.outlet), style="dim")
            headline.append("\n" + words.title(m.title), style="")
            table.add_row(
                f"{mark} {m.article_id[:12]}",
                f"{m.similarity:.2f}",
                words.date(m.published, 16).replace("T", " "),
                headline,
            )
    out.print(table)
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
        out.print(
            f"reused passages: {s.passages_new:,} new this run, {s.passages_total:,} in the store"
        )


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
    with open_store(db, write=False) as store:
        listed = store.stories()
    if rebuild or not listed:
        _analyse(db, ("stories",), workers, embed=embed)
        with open_store(db) as store:
            listed = store.stories()
    if as_json:
        print_json([s.to_dict() for s in listed])
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title=words.count(len(listed), "story"), expand=True)
    table.add_column("id", no_wrap=True)
    table.add_column("articles", justify="right")
    table.add_column("dates", no_wrap=True)
    table.add_column("headline · keywords", ratio=1)  # keywords under it: whole words at 80 columns
    table.add_column("outlets", justify="right")
    for s in listed:
        first, last = words.date(s.first, 10), words.date(s.last, 10)
        dates = first if first == last else f"{first}\n→ {last}"
        headline = Text(words.title(s.headline))
        if s.keywords:
            headline.append("\n" + ", ".join(s.keywords[:3]), style="dim")
        table.add_row(s.id, str(len(s.article_ids)), dates, headline, str(len(s.outlets)))
    out.print(table)


@app.command()
def story(
    story_id: Annotated[str, typer.Argument(help="Story id (a unique prefix is enough).")],
    db: DbOption = DEFAULT_DB,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the story as JSON (docs/schema.md).")
    ] = False,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            metavar="FILE",
            help="Write the story page here and print its path instead of the report "
            "(with --json, the JSON too).",
        ),
    ] = None,
) -> None:
    """One story outlet by outlet: timeline, who published first, reused passages, quotes."""
    from storytrace.report.story import story_view

    with open_store(db, write=False) as store:
        view = story_view(store, story_id)
    if html is not None:
        from storytrace.report.story_html import write_story

        if not html.parent.is_dir():
            raise InputError(f"{html.parent}: no such folder for the HTML report")
        write_story(view, html)
        report_written(html, as_json)
    if as_json:
        print_json(view)
    elif html is None:
        from storytrace.report.terminal import show_story

        show_story(view, out)


@app.command()
def outlets(
    db: DbOption = DEFAULT_DB,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the flows as JSON (not with --dot).")
    ] = False,
    dot: Annotated[
        bool, typer.Option("--dot", help="Print a Graphviz digraph (not with --json).")
    ] = False,
) -> None:
    """Who takes text from whom: per pair of outlets, articles and passages reused."""
    from collections import Counter

    from storytrace.report.story import outlet_flows

    exclusive(**{"--json": as_json, "--dot": dot})
    left_out: Counter[str] = Counter()
    with open_store(db, write=False) as store:
        flows = outlet_flows(store, left_out)
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
            if col in ("from", "to"):
                table.add_column(col, overflow="fold")
            else:
                table.add_column(col, justify="right")
        for f in flows:
            table.add_row(
                f["from"], f["to"], f"{f['articles']:,}", f"{f['passages']:,}", f"{f['words']:,}"
            )
        if left_out:
            shown = ", ".join(f"{n:,} {why}" for why, n in sorted(left_out.items()))
            table.caption = f"passages not shown: {shown}"
        out.print(table)


@app.command()
def export(
    db: DbOption = DEFAULT_DB,
    fmt: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="jsonl, parquet or csv.")
    ] = "jsonl",
    table: Annotated[
        str,
        typer.Option(
            "--table",
            metavar="TABLE",
            help="articles, rejections, passages, quotes, entities, labels, stories or"
            " story_members (columns: docs/schema.md).",
        ),
    ] = "articles",
    output: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", metavar="FILE", help="Output file (stdout for jsonl/csv when omitted)."
        ),
    ] = None,
) -> None:
    """Export a table of the store as JSONL, Parquet or CSV."""
    from storytrace.report.export import export_table

    if fmt not in ("jsonl", "parquet", "csv"):
        raise InputError(f"unknown export format {fmt!r} (jsonl, parquet, csv)")
    if fmt == "parquet" and output is None:
        raise InputError("parquet needs --out FILE")
    with open_store(db, write=False) as store:
        n = export_table(store, table, fmt, output)
    if output is not None:
        err.print(f"{n} rows written to {output}")
