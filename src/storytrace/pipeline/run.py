"""``storytrace run``: the whole pipeline from input files to a folder of Parquet tables.

    out/articles/ rejections/ dup_groups/ passages/ stories/ story_members/ quotes/ entities/
    out/_storytrace.json    what ran, with which options, on which inputs, and how far

The manifest makes reruns safe. A folder holding a finished run is refused unless told to
overwrite it. An interrupted run (a kill, a lost cluster) left its finished steps under
``out/_work/``; run again with the same inputs and options, it resumes from them, since
every table is written to a temporary folder and renamed only when whole. With other
inputs or options the folder is refused rather than mixed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from storytrace import __version__
from storytrace.engine import Engine
from storytrace.errors import ConfigError
from storytrace.pipeline import jobs, schemas
from storytrace.pipeline.jobs import RunOptions

MANIFEST = "_storytrace.json"
FORMAT = 1


@dataclass
class RunSummary:
    out: str
    engine: str
    tables: dict[str, int] = field(default_factory=dict)
    resumed: bool = False
    bad_arguments: list[tuple[str, str]] = field(default_factory=list)


def fingerprint(inputs: Sequence[str], options: RunOptions, engine: str) -> str:
    """What decides a run's tables: the input arguments and every option (not the engine,
    which gives the same tables, but it is recorded beside)."""
    text = json.dumps(
        {"inputs": list(inputs), "options": _plain(asdict(options))}, sort_keys=True, default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value if isinstance(value, str | int | float | bool | type(None)) else repr(value)


def _prepare(engine: Engine, key: str, overwrite: bool) -> bool:
    """Check the output folder against the manifest; True when resuming a run."""
    note = engine.read_note(MANIFEST)
    if note is None:
        return False
    try:
        manifest = json.loads(note)
    except ValueError:
        manifest = {}
    if overwrite:
        engine.remove_output()
        return False
    if manifest.get("state") == "finished":
        raise ConfigError(
            f"{engine.out}: holds a finished run ({manifest.get('finished_at', 'earlier')}); "
            "pass --overwrite to replace it, or choose another --out"
        )
    if manifest.get("fingerprint") != key:
        raise ConfigError(
            f"{engine.out}: holds an unfinished run of other inputs or options; "
            "pass --overwrite to start again, or choose another --out"
        )
    return True


# The jobs ``run`` goes through, in order, known before it starts (the prefix of each step
# name). "quotes" writes empty tables when quotes are off; "write" puts every table in the
# output folder.
RUN_JOBS = ("read", "dedup", "reuse", "stories", "quotes", "write")


def run(
    engine: Engine,
    inputs: Sequence[str],
    options: RunOptions,
    overwrite: bool = False,
    on_step: Callable[[str], None] | None = None,
) -> RunSummary:
    """Run every job with ``engine`` and write the output tables."""
    key = fingerprint(inputs, options, engine.name)
    resumed = _prepare(engine, key, overwrite)
    manifest = {
        "format": FORMAT,
        "storytrace": __version__,
        "engine": engine.name,
        "fingerprint": key,
        "inputs": list(inputs),
        "options": _plain(asdict(options)),
        "state": "running",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tables": {},
    }
    engine.write_note(MANIFEST, json.dumps(manifest, indent=2))
    summary = RunSummary(str(engine.out), engine.name, resumed=resumed)
    step = on_step or (lambda name: None)

    step("reading")
    articles, rejections, bad = jobs.read_articles(engine, inputs, options.read)
    summary.bad_arguments = bad
    if bad:
        table = pa.Table.from_pylist(
            [{"source": arg, "reason": reason, "file": arg, "record": 0} for arg, reason in bad],
            schema=schemas.REJECTIONS,
        )
        rejections = engine.union(
            "read/all-rejections", rejections, engine.source("read/bad-arguments", table)
        )
    tables: dict[str, Any] = {"articles": articles, "rejections": rejections}
    step("near-duplicates")
    tables["dup_groups"], _ = jobs.dedup(engine, articles, options.threshold)
    step("reuse")
    tables["passages"], _ = jobs.reuse(
        engine, articles, tables["dup_groups"], options.max_df, options.min_shared
    )
    step("stories")
    tables["stories"], tables["story_members"] = jobs.stories(
        engine, articles, tables["passages"], options.story_options()
    )
    if options.quotes:
        step("quotes")
        tables["quotes"], tables["entities"] = jobs.quotes(engine, articles)
    else:
        tables["quotes"] = engine.source(
            "quotes/none", schemas.QUOTES.empty_table(), schemas.QUOTES
        )
        tables["entities"] = engine.source(
            "quotes/none-entities", schemas.ENTITIES.empty_table(), schemas.ENTITIES
        )
    step("writing")
    for name, data in tables.items():
        _, order = schemas.OUTPUT_TABLES[name]
        summary.tables[name] = engine.write(name, data, order)
    manifest.update(
        state="finished",
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        tables=summary.tables,
    )
    engine.write_note(MANIFEST, json.dumps(manifest, indent=2))
    engine.remove_work()
    return summary


def make_engine(
    kind: str,
    out: str,
    master: str | None = None,
    workers: int | None = None,
    progress: Callable[[str, str], None] | None = None,
    conf: dict[str, str] | None = None,
) -> Engine:
    """The engine a command asked for, working in ``out/_work``."""
    work = f"{out.rstrip('/')}/_work"
    if kind == "local":
        from storytrace.engine.local import LocalEngine

        if "://" in out:
            raise ConfigError(
                f"{out}: the local engine writes to local folders only (use --engine spark)"
            )
        Path(out).mkdir(parents=True, exist_ok=True)
        return LocalEngine(Path(work), Path(out), workers=workers, progress=progress)
    if kind == "spark":
        from storytrace.engine.spark import SparkEngine

        return SparkEngine(work, out, master=master or "local[2]", progress=progress, conf=conf)
    raise ConfigError(f"unknown engine {kind!r} (local or spark)")
