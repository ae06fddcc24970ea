"""Ingest: files into the store, a batch per transaction, resumable.

Reading is done by ``storytrace.ingest`` (readers, budgets, rejections); this module is the
persistence loop around it. An interrupted ingest loses only the batch in flight, and
running it again carries on where it stopped. The analyses (near-duplicates, reuse,
stories, quotes) run in an engine: see ``storytrace.pipeline``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from storytrace.ingest.limits import DEFAULT_LIMITS, Limits
from storytrace.ingest.load import display_path
from storytrace.ingest.metadata import NONE, Metadata
from storytrace.ingest.outlet import domain_from_path, domain_of
from storytrace.ingest.paths import expand_paths
from storytrace.ingest.stage import safe_records
from storytrace.model import Article, Rejected
from storytrace.store.db import Store

__all__ = ["IngestSummary", "expand_paths", "ingest"]
Progress = Callable[[int], None]  # called with how many items were just done
BATCH = 200
POOL_MIN_BYTES = 4 << 20  # smaller files are parsed in this process: a pool costs more
CANDIDATE_CHUNK = 20_000  # LSH candidate groups verified per read of their signatures


# -- ingest -------------------------------------------------------------------------------
@dataclass
class IngestSummary:
    files: int = 0
    unchanged: int = 0
    added: int = 0
    duplicates: int = 0
    resumed: int = 0  # records stored by an earlier, interrupted read of the same file
    rejected: list[tuple[str, str]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.rejected)


def ingest(
    store: Store,
    files: Iterable[Path],
    fields: object = None,
    fmt: str | None = None,
    progress: Progress | None = None,
    summary: IngestSummary | None = None,
    workers: int | None = None,
    limits: Limits | None = None,
    metadata: Metadata = NONE,
) -> IngestSummary:
    """Read every file into the store; already stored content is counted, not stored again.

    ``metadata`` gives records what they lack (after the sidecar beside their file; see
    ``storytrace.ingest.metadata``).

    Big JSONL files are parsed by ``workers`` processes while this one writes the store.
    Only the store's own failures (disk full, a corrupt database) stop the run, as a
    StoreError; everything wrong with an input is a rejection.
    """
    summary = summary or IngestSummary()
    limits = limits or DEFAULT_LIMITS
    for path in files:
        summary.files += 1
        name = display_path(path)
        try:
            stat = path.stat()
        except OSError as exc:
            summary.rejected.append((name, f"cannot read file ({exc.strerror or exc})"))
            with store.transaction():
                store.add_rejection(name, summary.rejected[-1][1])
            continue
        key = display_path(path.resolve())
        if store.file_done(key, stat.st_size, stat.st_mtime):
            summary.unchanged += 1
            summary.rejected.extend(store.file_rejections(key))  # still refused: say so again
            if progress:
                progress(1)
            continue
        with store.transaction():  # a changed or interrupted file: its reasons come anew
            store.forget_file_rejections(key)
        pending: list[Article | Rejected] = []
        records = 0
        parsers = (workers or cpu_workers()) if stat.st_size >= POOL_MIN_BYTES else 1
        for item in safe_records(path, fields, fmt, parsers, limits, metadata=metadata):
            records += 1
            pending.append(item)
            if len(pending) >= BATCH:
                _commit(store, pending, summary, key)
                pending = []
        _commit(store, pending, summary, key, done=(key, stat.st_size, stat.st_mtime, records))
        if progress:
            progress(1)
    return summary


def _commit(
    store: Store,
    items: list[Article | Rejected],
    summary: IngestSummary,
    file: str,
    done: tuple[str, int, float, int] | None = None,
) -> None:
    with store.transaction():
        for item in items:
            if isinstance(item, Rejected):
                store.add_rejection(item.source, item.reason, file)
                summary.rejected.append((item.source, item.reason))
                continue
            stored_from = store.article_source(item.id)
            if stored_from is not None:
                # the same record stored by an interrupted read of this file is no duplicate
                if stored_from == item.source:
                    summary.resumed += 1
                else:
                    summary.duplicates += 1
                continue
            record_id = dict(item.meta).get("record_id")
            if record_id is not None:
                # articles written earlier in this transaction count too: same connection
                owner = store.record_owner(record_id)
                if owner is not None and owner != item.id:
                    reason = f"record id {record_id!r} already stored with different text"
                    store.add_rejection(item.source or "?", reason, file)
                    summary.rejected.append((item.source or "?", reason))
                    continue
            domain = domain_of(item.url) or domain_from_path(item.source)
            if domain:
                item = replace(item, outlet=store.outlet_name(domain, item.outlet))
            store.add_article(item)
            summary.added += 1
        if done is not None:
            store.mark_file(*done)


def cpu_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))
