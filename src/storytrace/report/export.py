"""Export store tables to JSONL, CSV or Parquet, streaming row by row (Parquet in batches).

Each table has one schema (``TABLES``): the Parquet file's types, the CSV header and the
JSON keys, in the same order, so the three formats of a table always agree and an empty
table still says what its columns are. Tables that ``storytrace run`` also writes keep its
columns and types (``pipeline.schemas``) and add readable ones after them. A list column is
a Parquet list, a JSON array, and in CSV a JSON array in one cell (CSV has no lists, and
JSON keeps a descriptor holding a comma or a quote intact); a flag is a Parquet and JSON
boolean and ``true``/``false`` in CSV; a missing value is null, or an empty CSV cell.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from storytrace.errors import InputError
from storytrace.pipeline import schemas
from storytrace.store.db import Store

_S = pa.string()


def _with(base: pa.Schema, *extra: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema([*((f.name, f.type) for f in base), *extra])


TABLES: dict[str, pa.Schema] = {
    "articles": schemas.ARTICLES,
    "rejections": pa.schema([("source", _S), ("reason", _S), ("file", _S), ("at", _S)]),
    "passages": _with(
        schemas.PASSAGES,
        *((f"{side}_{name}", _S) for side in "ab" for name in ("outlet", "title", "published")),
        ("a_text", _S),
        ("b_text", _S),
    ),
    "quotes": _with(schemas.QUOTES, ("outlet", _S), ("published", _S)),
    "entities": _with(schemas.ENTITIES, ("outlet", _S), ("published", _S)),
    "labels": pa.schema(
        [
            ("entity", _S),
            ("label", _S),
            ("outlet", _S),
            ("descriptors", schemas.STRINGS),
            ("articles", pa.int64()),
        ]
    ),
    "stories": schemas.STORIES,
    "story_members": schemas.STORY_MEMBERS,
}
BATCH = 5000  # rows per Parquet row group


def export_table(store: Store, table: str, fmt: str, output: Path | None) -> int:
    """Write ``table`` to ``output`` (stdout when None, for jsonl and csv); returns the row count."""
    if table not in TABLES:
        raise InputError(f"unknown table {table!r} (one of {', '.join(TABLES)})")
    if output is not None and not output.parent.is_dir():
        raise InputError(f"{output.parent}: no such folder")
    schema = TABLES[table]
    rows = store.table_rows(table)
    if fmt == "parquet":
        if output is None:
            raise InputError("parquet needs --out FILE")
        return _parquet(rows, schema, output)
    handle = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        if fmt == "jsonl":
            return _jsonl(rows, handle)
        return _csv(rows, schema, handle)
    finally:
        if output:
            handle.close()


def _jsonl(rows: Iterable[dict[str, Any]], handle: Any) -> int:
    n = 0
    for row in rows:
        handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        n += 1
    return n


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return value


def _csv(rows: Iterable[dict[str, Any]], schema: pa.Schema, handle: Any) -> int:
    writer = csv.writer(handle)
    writer.writerow(schema.names)
    n = 0
    for row in rows:
        writer.writerow([_cell(row[name]) for name in schema.names])
        n += 1
    return n


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _parquet(rows: Iterable[dict[str, Any]], schema: pa.Schema, output: Path) -> int:
    """Row groups of ``BATCH`` rows, written to a temporary name and renamed when whole."""
    import pyarrow.parquet as pq

    n = 0
    tmp = output.with_name(output.name + ".part")
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            for batch in _batches(rows):
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                n += len(batch)
        tmp.replace(output)  # appears whole or not at all
    finally:
        if tmp.exists():
            tmp.unlink()
    return n
