"""Export store tables to JSONL, CSV or Parquet, streaming row by row (Parquet in batches)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

from storytrace.errors import InputError
from storytrace.store.db import Store

TABLES = ("articles", "passages", "quotes", "stories", "rejections")


def _rows(store: Store, table: str):
    yield from store.table_rows(table)


def export_table(store: Store, table: str, fmt: str, output: Path | None) -> int:
    """Write ``table`` to ``output`` (stdout when None, for jsonl and csv); returns the row count."""
    if table not in TABLES:
        raise InputError(f"unknown table {table!r} (one of {', '.join(TABLES)})")
    if output is not None and not output.parent.is_dir():
        raise InputError(f"{output.parent}: no such folder")
    if fmt == "parquet":
        return _parquet(_rows(store, table), output)  # type: ignore[arg-type]
    handle = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    n = 0
    try:
        writer: Any = None
        for row in _rows(store, table):
            if fmt == "jsonl":
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                if writer is None:
                    writer = csv.DictWriter(handle, fieldnames=list(row))
                    writer.writeheader()
                writer.writerow(row)
            n += 1
    finally:
        if output:
            handle.close()
    return n


def _parquet(rows, output: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    batch: list[dict[str, Any]] = []
    n = 0
    tmp = output.with_name(output.name + ".part")
    try:
        for row in rows:
            batch.append(row)
            if len(batch) >= 5000:
                writer = _write_batch(pa, pq, writer, batch, tmp)
                n += len(batch)
                batch = []
        if batch or writer is None:
            writer = _write_batch(pa, pq, writer, batch, tmp)
            n += len(batch)
        writer.close()
        tmp.replace(output)  # appears whole or not at all
    finally:
        if tmp.exists():
            tmp.unlink()
    return n


def _write_batch(pa, pq, writer, batch, path):
    table = pa.Table.from_pylist(batch, schema=writer.schema if writer else None)
    if writer is None:
        writer = pq.ParquetWriter(path, table.schema)
    writer.write_table(table)
    return writer
