"""Reading as a corpus stage: files in, articles and rejections out, nothing escaping.

``safe_records`` is the one place where a reader's failure becomes a rejection of the
file; ``read_stage`` runs it over a batch of input files for an engine, streaming the
records in pieces so one huge file never sits in memory whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from storytrace.errors import InputError
from storytrace.ingest.limits import DEFAULT_LIMITS, Limits
from storytrace.ingest.load import Blob, Source, display_path
from storytrace.ingest.metadata import NONE, Metadata
from storytrace.ingest.outlet import domain_from_path, domain_of
from storytrace.ingest.readers import read_path
from storytrace.ingest.records import FieldMap
from storytrace.model import Article, Rejected

PIECE_ROWS = 500  # records handed on at a time while one file is read


def safe_records(
    path: Source,
    fields: FieldMap | None = None,
    fmt: str | None = None,
    workers: int = 1,
    limits: Limits = DEFAULT_LIMITS,
    span: tuple[int, int, int] | None = None,
    metadata: Metadata = NONE,
) -> Iterator[Article | Rejected]:
    """Every record of one file (or of one ``span`` of it), given what ``metadata`` and the
    folder's sidecar say where it is silent; whatever stops the reader becomes a rejection
    of the file.

    Records yielded before the failure are kept: a truncated archive still gives what it
    holds. A file that yields nothing at all is itself rejected, so an unreadable WARC
    never passes as an empty success.
    """
    name = display_path(path)
    count = 0
    try:
        for item in read_path(
            path,
            fmt=fmt,
            fields=fields,
            workers=workers,
            limits=limits,
            span=span,
            metadata=metadata,
        ):
            count += 1
            yield item
    except InputError as exc:
        count += 1
        message = str(exc)
        yield Rejected(name, message.removeprefix(f"{name}: "))
    except OSError as exc:  # vanished or unreadable mid-run
        count += 1
        yield Rejected(name, f"cannot read file ({exc.strerror or exc})")
    except RecursionError:
        count += 1
        yield Rejected(name, "reader stopped: data nested too deeply")
    except Exception as exc:  # one file must never stop an ingest
        count += 1
        detail = " ".join(str(exc).split())[:160]
        yield Rejected(
            name, f"reader stopped after {count - 1} records ({type(exc).__name__}: {detail})"
        )
    if count == 0 and (span is None or span[0] == 0):  # a later piece may hold blank lines only
        yield Rejected(name, "no article or record found in the file")


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How a run reads its inputs: field names, a forced format, the budgets, and the
    metadata for records that carry none."""

    fields: FieldMap = field(default_factory=FieldMap)
    fmt: str | None = None
    limits: Limits = DEFAULT_LIMITS
    metadata: Metadata = NONE


def record_number(source: str | None, fallback: int) -> int:
    """The N of a source "file#N" (a record's place in its file), else ``fallback``."""
    if source and "#" in source:
        digits = source.rsplit("#", 1)[1].split(" ", 1)[0]
        if digits.isdigit():
            return int(digits)
    return fallback


def record_row(item: Article | Rejected, file: str, record: int) -> dict[str, Any]:
    """One article or rejection as a row of ``pipeline.schemas.RECORDS``."""
    if isinstance(item, Rejected):
        return {"source": item.source, "reason": item.reason, "file": file, "record": record}
    meta = dict(item.meta)
    return {
        "id": item.id,
        "record_id": meta.get("record_id"),
        "source": item.source,
        "url": item.url,
        "outlet": item.outlet,
        "title": item.title,
        "published": item.published,
        "language": item.language,
        "authors": list(item.authors),
        "stripped": list(item.stripped),
        "meta": json.dumps(meta, ensure_ascii=False, sort_keys=True),
        "text": item.text,
        "words": len(item.text.split()),
        "domain": domain_of(item.url) or domain_from_path(item.source),
        "file": file,
        "record": record,
        "reason": None,
    }


def read_stage(files: pa.Table, options: ReadOptions) -> Iterator[list[dict[str, Any]]]:
    """Stage: input files (``engine.FILE_SCHEMA``) -> records, a few hundred at a time.

    A file's bytes come in ``content`` when the engine fetched them (HDFS, S3); otherwise
    the path is opened here, with every budget of ``options.limits``.
    """
    piece: list[dict[str, Any]] = []
    for row in files.to_pylist():
        path = row["path"]
        source: Source = Path(path) if row["content"] is None else Blob(path, row["content"])
        span = (
            (row["start"], row["end"], row["first_line"]) if row.get("start") is not None else None
        )
        records = safe_records(
            source, options.fields, options.fmt, 1, options.limits, span, options.metadata
        )
        for n, item in enumerate(records, 1):
            # the record's number in the whole file orders it, whichever piece it came in
            piece.append(record_row(item, path, record_number(item.source, n)))
            if len(piece) >= PIECE_ROWS:
                yield piece
                piece = []
    if piece:
        yield piece
