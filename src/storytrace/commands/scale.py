"""``storytrace run`` (every corpus job, on the local engine or Spark, into Parquet tables)
and ``storytrace load`` (a run's tables into a SQLite store for serve, story and export)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
    limits_of,
    metadata_of,
    open_store,
    out,
    print_json,
    step_lines,
)
from storytrace.errors import ConfigError


@app.command()
def run(
    inputs: Annotated[
        list[str],
        typer.Option(
            "--input",
            "-i",
            metavar="PATH",
            help="Input files, folders or globs (repeat the option); with --engine spark, "
            "any path Spark reads (hdfs://, s3a://).",
        ),
    ],
    out_dir: Annotated[
        str, typer.Option("--out", "-o", metavar="FOLDER", help="Folder for the output tables.")
    ],
    engine: Annotated[
        str, typer.Option("--engine", metavar="ENGINE", help="local (this machine) or spark.")
    ] = "local",
    master: Annotated[
        str | None,
        typer.Option(
            "--master",
            metavar="URL",
            help="Spark master: local[N] (default local[2]) or spark://HOST:PORT.",
        ),
    ] = None,
    conf: Annotated[
        list[str] | None,
        typer.Option(
            "--conf", metavar="KEY=VALUE", help="A Spark setting KEY=VALUE (repeat the option)."
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace a finished or different run in --out.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=1, metavar="N", help="Local engine processes (default: every core)."
        ),
    ] = None,
    threshold: Annotated[
        float,
        typer.Option(
            min=0.05,
            max=0.99,
            metavar="JACCARD",
            help="Estimated Jaccard that makes two articles near-duplicates.",
        ),
    ] = 0.7,
    quotes_too: Annotated[
        bool, typer.Option("--quotes/--no-quotes", help="Find quotes and entities too.")
    ] = True,
    embed: Annotated[
        bool, typer.Option("--embed/--no-embed", help="Use sentence embeddings as story evidence.")
    ] = False,
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
    """Every corpus job from input files to a folder of Parquet tables (docs/schema.md).

    The same command gives the same tables on the local engine and on Spark. An
    interrupted run resumes when run again with the same inputs and options. What a
    record does not say comes from a storytrace.csv beside its file, then from --outlet,
    --published, --title and --url.
    """
    from storytrace.ingest import FORMATS, FieldMap
    from storytrace.ingest.stage import ReadOptions
    from storytrace.pipeline.jobs import RunOptions
    from storytrace.pipeline.run import RUN_JOBS, make_engine
    from storytrace.pipeline.run import run as run_pipeline

    if fmt is not None and fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    if engine not in ("local", "spark"):
        raise ConfigError(f"unknown engine {engine!r} (local or spark)")
    if master is not None and engine != "spark":
        raise ConfigError("--master is for --engine spark")
    settings = {}
    for item in conf or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--conf {item!r}: expected KEY=VALUE")
        settings[key.strip()] = value.strip()
    fields = FieldMap().prefer(
        text=text_field, title=title_field, published=date_field, url=url_field, outlet=outlet_field
    )
    options = RunOptions(
        read=ReadOptions(
            fields=fields,
            fmt=fmt,
            limits=limits_of(max_record_mb, max_file_mb, max_inflated_gb, max_inflation_ratio),
            metadata=metadata_of(outlet, published, title, url),
        ),
        threshold=threshold,
        quotes=quotes_too,
        embed=embed,
    )
    with step_lines(f"run ({engine})", RUN_JOBS) as report:
        runner = make_engine(
            engine, out_dir, master=master, workers=workers, progress=report, conf=settings
        )
        try:
            summary = run_pipeline(runner, inputs, options, overwrite=overwrite)
        finally:
            runner.close()
    if as_json:
        print_json(
            {
                "out": out_dir,
                "engine": engine,
                "resumed": summary.resumed,
                "tables": summary.tables,
                "bad_inputs": [{"input": a, "reason": r} for a, r in summary.bad_arguments],
            }
        )
    else:
        counts = ", ".join(f"{n:,} {name}" for name, n in summary.tables.items())
        resumed = " (resumed)" if summary.resumed else ""
        out.print(f"{out_dir}{resumed}: {counts}", markup=False, soft_wrap=True)
        for arg, reason in summary.bad_arguments:
            err.print(f"  rejected {arg}: {reason}", markup=False)
    if summary.tables.get("rejections"):
        raise typer.Exit(1)


@app.command()
def load(
    folder: Annotated[
        Path, typer.Argument(metavar="FOLDER", help="A finished run's --out folder.")
    ],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Bring a run's tables into a SQLite store, so serve, story and export work on them."""
    from storytrace.pipeline.store import load as load_run

    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such folder")
    with open_store(db, create=True) as store:
        counts = load_run(folder, store)
        total = store.count()
    shown = ", ".join(f"{n:,} {name}" for name, n in counts.items() if name != "articles_new")
    out.print(
        f"{shown}; {counts.get('articles_new', 0):,} articles new; {total:,} articles in {db}",
        markup=False,
        soft_wrap=True,
    )
