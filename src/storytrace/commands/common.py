"""What every command shares: the app, the two consoles, options, progress, the store.

Commands are presentation only: they map flags onto the library's options, call it, and
show what it returns.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from storytrace.commands.help import HelpCommand, HelpGroup
from storytrace.errors import ConfigError
from storytrace.report import words

if TYPE_CHECKING:
    from storytrace.ingest.metadata import Metadata


class _App(typer.Typer):
    """The typer app, whose commands all print their help through ``HelpCommand``."""

    def command(self, *args: Any, cls: type[HelpCommand] | None = None, **kwargs: Any) -> Any:
        return super().command(*args, cls=cls or HelpCommand, **kwargs)


app = _App(
    name="storytrace",
    cls=HelpGroup,
    help="Trace one news story across outlets: copies, rewrites, quotes, labels and stories.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def exclusive(**flags: bool) -> None:
    """Refuse output flags that cannot both be honoured, rather than silently drop one.

    Pass them by their spelling on the command line: ``exclusive(**{"--json": j, "--dot": d})``.
    """
    given = [name for name, on in flags.items() if on]
    if len(given) > 1:
        raise ConfigError(f"{' and '.join(given)} cannot be used together; pick one")


def report_written(path: Path, also_json: bool) -> None:
    """Say where an HTML report went: its path alone on stdout, or on stderr beside JSON."""
    if also_json:
        err.print(f"HTML report written to {path}", markup=False)
    else:
        out.print(str(path), markup=False, soft_wrap=True)


# Reading budgets, shared by every command that reads files (see storytrace.ingest.limits).
MaxRecordMb = Annotated[
    float,
    typer.Option(
        "--max-record-mb",
        min=0.01,
        metavar="MB",
        help="Largest record read: a text or HTML file, a JSON line, a CSV row, a WARC page.",
    ),
]
MaxFileMb = Annotated[
    float,
    typer.Option(
        "--max-file-mb",
        min=0.01,
        metavar="MB",
        help="Largest JSON document or feed parsed in one piece, once decompressed.",
    ),
]
MaxInflatedGb = Annotated[
    float,
    typer.Option(
        "--max-inflated-gb",
        min=0.001,
        metavar="GB",
        help="Largest size any compressed file may expand to.",
    ),
]
MaxInflationRatio = Annotated[
    float,
    typer.Option(
        "--max-inflation-ratio",
        min=1,
        metavar="RATIO",
        help="Largest decompressed/compressed size ratio (a bomb inflates 1,000-fold).",
    ),
]


def limits_of(record_mb: float, file_mb: float, inflated_gb: float, ratio: float):
    from storytrace.ingest.limits import GB, MB, Limits

    return Limits(
        max_record_bytes=int(record_mb * MB),
        max_whole_file_bytes=int(file_mb * MB),
        max_inflated_bytes=int(inflated_gb * GB),
        max_inflation_ratio=ratio,
    )


DbOption = Annotated[Path, typer.Option("--db", metavar="FILE", help="The SQLite store.")]

# How records are read, shared by ``ingest`` and ``run``.
FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        metavar="FORMAT",
        help="Force a reader: text, html, json, jsonl, csv, feed, warc, parquet.",
    ),
]


def _field(option: str, holds: str) -> object:
    return typer.Option(
        option, metavar="COLUMN", help=f"JSONL/CSV/Parquet column holding the {holds}."
    )


TextField = Annotated[str | None, _field("--text-field", "body")]
TitleField = Annotated[str | None, _field("--title-field", "title")]
DateField = Annotated[str | None, _field("--date-field", "date")]
UrlField = Annotated[str | None, _field("--url-field", "URL")]
OutletField = Annotated[str | None, _field("--outlet-field", "outlet")]


# Metadata for records that carry none (storytrace.ingest.metadata), for extract, ingest
# and run; compare takes one set per side (--a-outlet, --b-outlet, ...).
def metadata_option(option: str, field: str, side: str | None = None) -> object:
    """``--outlet``-like option: what to give records that say nothing themselves.

    ``side`` ("A", "B") words it for one article of ``compare``. The sidecar comes first
    and the record before both; the README's "Metadata a file does not carry" says so once.
    """
    metavar, noun = {
        "outlet": ("NAME", "Outlet"),
        "published": ("DATE", "Publication date"),
        "title": ("TEXT", "Headline"),
        "url": ("URL", "Address"),
    }[field]
    whom = f"of {side}, if it gives none" if side else "for records that give none"
    iso = " (2021-04-07 or 2021-04-07T22:02+03:00)" if field == "published" else ""
    return typer.Option(option, metavar=metavar, help=f"{noun} {whom}{iso}.")


OutletOption = Annotated[str | None, metadata_option("--outlet", "outlet")]
PublishedOption = Annotated[str | None, metadata_option("--published", "published")]
TitleOption = Annotated[str | None, metadata_option("--title", "title")]
UrlOption = Annotated[str | None, metadata_option("--url", "url")]


def metadata_of(
    outlet: str | None,
    published: str | None,
    title: str | None,
    url: str | None,
    prefix: str = "--",
) -> Metadata:
    """The library's Metadata from the four options; a bad date names its option."""
    from storytrace.ingest.metadata import Metadata

    return Metadata.given(outlet, published, title, url, where=f"{prefix}published")


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


PLAIN_EVERY_S = 10.0  # the longest wait between two progress lines when not on a terminal


@contextmanager
def _progress_lines(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """Progress as plain lines, for a log or a pipe: a line at most every PLAIN_EVERY_S
    seconds while the work goes on, and one when it is done.

    A bar drawn where nothing redraws it comes out as blank lines, and a line per item
    would bury the summary, so a short job prints one line and a long one a few.
    """
    start = last = time.monotonic()
    done = 0

    def advance(n: int) -> None:
        nonlocal done, last
        done += n
        now = time.monotonic()
        if now - last >= PLAIN_EVERY_S and done < total:
            last = now
            err.print(f"  {label}: {done:,}/{total:,}", markup=False)

    yield advance
    if total:
        took = time.monotonic() - start
        err.print(f"  {label}: {done:,}/{total:,} in {took:.1f} s", markup=False)


@contextmanager
def progress_bar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """Progress of ``total`` items on stderr; yields an advance(n) function.

    On a terminal, a bar with rate and time left; otherwise plain lines. The total is
    counted before the work starts, so the bar never reads "29/?".
    """
    if not err.is_terminal:
        with _progress_lines(label, total) as advance:
            yield advance
        return
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


def open_store(db: Path, create: bool = False, write: bool = True):
    """The store at ``db``; a command that only reads (``write=False``) opens a store it
    cannot write read-only instead of failing."""
    from storytrace.store.db import Store, writable

    if not write and db.is_file() and not writable(db):
        return Store.open_read_only(db)
    return Store.open(db, create=create)


@contextmanager
def step_lines(label: str, jobs: Sequence[str] = ()) -> Iterator[Callable[[str, str], None]]:
    """Report an engine's steps: a status line on a terminal, plain lines otherwise.

    ``jobs`` are the jobs this command will run, in order, known before the first starts,
    so each is shown with its place among them ("reuse, job 2 of 4"). The steps inside a
    job are not counted ahead (connected components iterates until it settles), so a
    terminal shows each step as it finishes ("dedup/verify: 1,204 rows") rather than a bar
    that jumps. Off a terminal (a log, CI, a pipe) one line per job says how many steps it
    took and how long, with a line for the step in hand when PLAIN_EVERY_S pass without
    one, so a log neither floods with thirty internal step names nor goes quiet for minutes.
    """
    order = {job: n for n, job in enumerate(jobs, start=1)}

    def place(job: str) -> str:
        return f"{job}, job {order[job]} of {len(order)}" if job in order else job

    if err.is_terminal:
        with err.status(f"{label}…") as status:
            yield lambda step, message: status.update(
                f"{label} [{place(step.split('/', 1)[0])}]: {step} ({message})"
            )
        return
    now = time.monotonic()
    # "store/..." steps read the store for the job that follows: counted with that job
    state: dict[str, Any] = {"job": None, "steps": 0, "began": now, "ended": now, "said": now}
    state.update(last=now, pending=0)

    def close_job() -> None:
        if state["job"] is not None:
            seconds = state["ended"] - state["began"]
            steps = words.count(state["steps"], "step")
            err.print(f"  {place(state['job'])}: done ({steps}, {seconds:.1f} s)", markup=False)
            state["said"] = time.monotonic()

    def report(step: str, message: str) -> None:
        now = time.monotonic()
        job = step.split("/", 1)[0]
        if job == "store":
            if state["pending"] == 0:
                state["store_began"] = state["last"]
            state["pending"] += 1
        else:
            if job != state["job"]:
                close_job()
                began = (
                    state.pop("store_began", state["last"]) if state["pending"] else state["last"]
                )
                state.update(job=job, steps=0, began=began)
            state["steps"] += 1 + state["pending"]
            state.update(pending=0, ended=now)
        state["last"] = now
        if now - state["said"] >= PLAIN_EVERY_S:
            err.print(f"  {step}: {message}", markup=False)
            state["said"] = now

    yield report  # a job cut short by an error is not reported as done
    close_job()
