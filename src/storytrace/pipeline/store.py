"""The corpus jobs over a SQLite store (``storytrace analyse``), and a run folder brought
into one (``storytrace load``).

``analyse`` streams the store's articles into the local engine, runs the very jobs that
``storytrace run`` runs, and writes their tables back in one transaction: an interrupted
analyse leaves the store as it was, and its finished steps under ``<db>.work/`` let the
next one resume. What the store already knows is not computed again: pairs aligned
before are not aligned again, articles analysed for quotes before are not parsed again.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from storytrace.engine import Dataset
from storytrace.engine.local import LocalEngine
from storytrace.errors import InputError
from storytrace.pipeline import jobs, schemas
from storytrace.pipeline.jobs import RunOptions
from storytrace.pipeline.run import fingerprint
from storytrace.store.db import Store

JOBS = ("dedup", "reuse", "stories", "quotes")


@dataclass
class AnalyseSummary:
    groups: int = 0
    passages_new: int = 0
    passages_total: int = 0
    stories: int = 0
    quoted_new: int = 0
    quoted_total: int = 0


def _rows(engine: LocalEngine, data: Dataset) -> Iterator[dict]:
    for batch in engine.collect(data).to_batches(max_chunksize=5000):
        yield from batch.to_pylist()


def analyse(
    store: Store,
    options: RunOptions,
    run: tuple[str, ...] = JOBS,
    workers: int | None = None,
    progress: Callable[[str, str], None] | None = None,
) -> AnalyseSummary:
    """Run the jobs named in ``run`` over every stored article; write what they found."""
    key = fingerprint([store.fingerprint(), *run], options, "local")
    base = store.path.with_name(store.path.name + ".work")
    work = base / key
    if base.exists():
        for stale in base.iterdir():  # another store state or other options
            if stale.name != key:
                shutil.rmtree(stale, ignore_errors=True)
    engine = LocalEngine(work, workers=workers, progress=progress)
    summary = AnalyseSummary()
    articles = engine.source(
        "store/articles", store.article_tables(schemas.ARTICLES), schemas.ARTICLES
    )
    if "dedup" in run:
        groups, _ = jobs.dedup(engine, articles, options.threshold)
    else:
        groups = engine.source(
            "store/dup-groups", store.dup_group_table(schemas.DUP_GROUPS), schemas.DUP_GROUPS
        )
    stored = engine.source(
        "store/passages", store.passage_tables(schemas.PASSAGES), schemas.PASSAGES
    )
    new_passages = directed = None
    if "reuse" in run:
        aligned = engine.source(
            "store/aligned", store.aligned_tables(schemas.DIRECTED), schemas.DIRECTED
        )
        new_passages, directed = jobs.reuse(
            engine, articles, groups, options.max_df, options.min_shared, aligned=aligned
        )
        passages = engine.union("store/all-passages", stored, new_passages)
    else:
        passages = stored
    stories = members = None
    if "stories" in run:
        stories, members = jobs.stories(engine, articles, passages, options.story_options())
    quotes = entities = None
    unquoted: list[str] = []
    if "quotes" in run:
        unquoted = store.unquoted_ids()
        todo = engine.source(
            "store/unquoted", store.article_tables(schemas.ARTICLES, ids=unquoted), schemas.ARTICLES
        )
        quotes, entities = jobs.quotes(engine, todo)
    with store.transaction():  # all the results, or none of them
        if "dedup" in run:
            store.replace_dup_groups(_rows(engine, groups))
        if new_passages is not None and directed is not None:
            store.add_passage_rows(_rows(engine, new_passages))
            store.add_aligned_pairs((r["a_id"], r["b_id"]) for r in _rows(engine, directed))
        if stories is not None and members is not None:
            store.replace_story_rows(_rows(engine, stories), _rows(engine, members))
        if quotes is not None and entities is not None:
            store.add_analyses(unquoted, _rows(engine, quotes), _rows(engine, entities))
    summary.groups = len(store.dup_groups())
    summary.passages_total = store.count("passages")
    summary.passages_new = engine.collect(new_passages).num_rows if new_passages is not None else 0
    summary.stories = store.count("stories")
    summary.quoted_new = len(unquoted)
    summary.quoted_total = store.count("articles") - len(store.unquoted_ids())
    shutil.rmtree(base, ignore_errors=True)
    return summary


def load(folder: Path, store: Store) -> dict[str, int]:
    """Bring a finished run's tables into the store; returns rows read per table.

    Articles already stored are kept (their id is their text); rejections are added; near-
    duplicate groups, passages and stories are replaced by the run's; quotes and entities
    replace those of the run's articles.
    """
    folder = Path(folder)
    manifest = folder / "_storytrace.json"
    if not manifest.exists():
        raise InputError(f"{folder}: not a storytrace run folder (no _storytrace.json)")
    record = json.loads(manifest.read_text(encoding="utf-8"))
    if record.get("state") != "finished":
        raise InputError(f"{folder}: the run did not finish; run it again to complete it first")
    counts: dict[str, int] = {}

    def rows(table: str) -> Iterator[dict]:
        path = folder / table
        for part in sorted(path.glob("*.parquet")):
            for batch in pq.ParquetFile(part).iter_batches(batch_size=5000):
                counts[table] = counts.get(table, 0) + batch.num_rows
                yield from batch.to_pylist()

    with store.transaction():
        counts["articles_new"] = store.add_article_rows(rows("articles"))
        for r in rows("rejections"):
            store.add_rejection(r["source"], r["reason"], r["file"])
        store.replace_dup_groups(rows("dup_groups"))
        store.clear_passages()
        passages = list(rows("passages"))
        store.add_passage_rows(passages)
        store.add_aligned_pairs(sorted({(p["a_id"], p["b_id"]) for p in passages}))
        store.replace_story_rows(rows("stories"), rows("story_members"))
        if record.get("options", {}).get("quotes", True):  # a run without quotes analysed none
            analysed = [r["id"] for r in _table_rows(folder / "articles", ["id"])]
            store.add_analyses(analysed, rows("quotes"), rows("entities"))
    return counts


def _table_rows(path: Path, columns: list[str]) -> Iterator[dict]:
    for part in sorted(path.glob("*.parquet")):
        yield from pq.read_table(part, columns=columns).to_pylist()
