"""The local engine's files and tasks: Arrow IPC parts on disk, and what a worker does.

Every task reads its input parts and writes its output parts itself; only file names and
row counts cross the process boundary. Kept apart from ``engine.local`` so each module
stays readable: this one is the mechanics, that one the contract.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from storytrace.engine import pool
from storytrace.engine.contract import Dataset, JoinHow, Stage
from storytrace.engine.tables import conform, hash_partition, sorted_table, whole_group_chunks

PART_ROWS = 50_000  # rows per output part file of a map step
FINAL_PART_ROWS = 100_000  # rows per Parquet part of an output table


@dataclass(frozen=True, slots=True)
class LocalDataset(Dataset):
    """Arrow IPC part files, read in name order."""

    parts: tuple[str, ...]
    schema: pa.Schema

    @property
    def bytes(self) -> int:
        return sum(Path(p).stat().st_size for p in self.parts)


def read_part(path: str) -> pa.Table:
    """One part, memory-mapped: slices of it cost nothing until they are read."""
    with pa.memory_map(path) as source:
        return pa.ipc.open_file(source).read_all()


class PartWriter:
    """Arrow IPC files of at most ``rows`` rows each, named ``prefix-NNNN.arrow``."""

    def __init__(self, prefix: str, schema: pa.Schema, rows: int = PART_ROWS) -> None:
        self.prefix, self.schema, self.rows = prefix, schema, rows
        self.paths: list[str] = []
        self.total = 0
        self._sink: Any = None
        self._writer: Any = None
        self._in_part = 0

    def write(self, table: pa.Table) -> None:
        while table.num_rows:
            if self._writer is None:
                path = f"{self.prefix}-{len(self.paths):04d}.arrow"
                self._sink = pa.OSFile(path, "wb")
                self._writer = pa.ipc.new_file(self._sink, self.schema)
                self.paths.append(path)
                self._in_part = 0
            room = self.rows - self._in_part
            piece, table = table.slice(0, room), table.slice(room)
            self._writer.write_table(piece)
            self._in_part += piece.num_rows
            self.total += piece.num_rows
            if self._in_part >= self.rows:
                self._close_part()

    def _close_part(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._sink.close()
            self._writer = self._sink = None

    def close(self) -> list[str]:
        self._close_part()
        return self.paths


# -- tasks run in worker processes (module level, so they pickle) -------------------------
def _shared_value(shared: Any) -> Any:
    return pool.shared_value() if isinstance(shared, pool.FromPool) else shared


def map_task(stage: Stage, part: str, prefix: str, shared: Any) -> tuple[list[str], int]:
    shared = _shared_value(shared)
    table = read_part(part)
    writer = PartWriter(prefix, stage.schema)
    for start in range(0, table.num_rows, stage.batch_rows):
        for result in stage.run(table.slice(start, stage.batch_rows), shared):
            writer.write(result)
    return writer.close(), writer.total


def split_task(part: str, key: Sequence[str], partitions: int, folder: str, name: str) -> None:
    """Write the rows of ``part`` into ``folder/pNNNN/name.arrow`` by hash of ``key``."""
    table = read_part(part)
    if table.num_rows == 0:
        return
    target = hash_partition(table, key, partitions)
    order = np.argsort(target, kind="stable")
    table, target = table.take(order), target[order]
    bounds = np.searchsorted(target, np.arange(partitions + 1))
    for p in range(partitions):
        lo, hi = int(bounds[p]), int(bounds[p + 1])
        if hi > lo:
            out = Path(folder) / f"p{p:04d}"
            out.mkdir(parents=True, exist_ok=True)
            with (
                pa.OSFile(str(out / f"{name}.arrow"), "wb") as sink,
                pa.ipc.new_file(sink, table.schema) as writer,
            ):
                writer.write_table(table.slice(lo, hi - lo))


def _partition_table(folder: Path, side: str, schema: pa.Schema) -> pa.Table:
    pieces = sorted(folder.glob(f"{side}-*.arrow")) if folder.exists() else []
    if not pieces:
        return schema.empty_table()
    return pa.concat_tables([read_part(str(p)) for p in pieces])


def group_task(
    stage: Stage,
    folder: str,
    key: Sequence[str],
    order: Sequence[str],
    schema: pa.Schema,
    prefix: str,
    shared: Any,
) -> tuple[list[str], int]:
    shared = _shared_value(shared)
    table = sorted_table(_partition_table(Path(folder), "in", schema), key, order)
    writer = PartWriter(prefix, stage.schema)
    slices = (table.slice(s, PART_ROWS) for s in range(0, table.num_rows, PART_ROWS))
    for chunk in whole_group_chunks(slices, key, stage.batch_rows):
        for result in stage.run(chunk, shared):
            writer.write(result)
    return writer.close(), writer.total


def join_task(
    folder: str,
    on: Sequence[tuple[str, str]],
    take: Mapping[str, str],
    how: JoinHow,
    schemas: tuple[pa.Schema, pa.Schema],
    out_schema: pa.Schema,
    prefix: str,
) -> tuple[list[str], int]:
    left = _partition_table(Path(folder), "left", schemas[0])
    right = _partition_table(Path(folder), "right", schemas[1])
    writer = PartWriter(prefix, out_schema)
    if left.num_rows:
        writer.write(join_tables(left, right, on, take, how, out_schema))
    return writer.close(), writer.total


def join_tables(
    left: pa.Table,
    right: pa.Table,
    on: Sequence[tuple[str, str]],
    take: Mapping[str, str],
    how: JoinHow,
    out_schema: pa.Schema,
) -> pa.Table:
    """A relational join by row numbers: keys and indices go through Arrow's hash join,
    then every payload column is gathered with ``take`` (which handles any column type,
    lists and structs included, where the hash join itself does not)."""
    keys = [f"__k{i}" for i in range(len(on))]
    lidx = pa.table(
        {
            **{k: left.column(a) for k, (a, _) in zip(keys, on, strict=True)},
            "__l": np.arange(left.num_rows),
        }
    )
    ridx = pa.table(
        {
            **{k: right.column(r) for k, (_, r) in zip(keys, on, strict=True)},
            "__r": np.arange(right.num_rows),
        }
    )
    kind = {"inner": "inner", "left": "left outer", "left_anti": "left anti"}[how]
    joined = lidx.join(ridx, keys=keys, join_type=kind, use_threads=False)
    joined = joined.sort_by(
        [("__l", "ascending")] + ([("__r", "ascending")] if how != "left_anti" else [])
    )
    out = left.take(joined.column("__l"))
    if how != "left_anti":
        picked = right.take(joined.column("__r"))
        for source, name in take.items():
            out = out.append_column(name, picked.column(source))
    return conform(out, out_schema)


def count_task(
    folder: str, key: Sequence[str], weight: str | None, schema: pa.Schema, prefix: str
) -> tuple[list[str], int]:
    table = _partition_table(Path(folder), "in", schema)
    out_schema = pa.schema([*[schema.field(k) for k in key], ("n", pa.int64())])
    writer = PartWriter(prefix, out_schema)
    if table.num_rows:
        aggregate = [(weight, "sum")] if weight else [([], "count_all")]
        counted = table.group_by(list(key)).aggregate(aggregate)
        # the aggregate comes out as "count_all" or "<weight>_sum", beside the key columns
        counted = counted.rename_columns([c if c in key else "n" for c in counted.column_names])
        writer.write(conform(counted.select([*key, "n"]), out_schema))
    return writer.close(), writer.total


def star(item: tuple[Callable[..., Any], tuple]) -> Any:
    fn, task = item
    return fn(*task)


def local_dataset(data: Dataset) -> LocalDataset:
    if not isinstance(data, LocalDataset):
        raise TypeError(f"the local engine cannot read a {type(data).__name__}")
    return data


COMPONENT_SCHEMA = pa.schema([("node", pa.string()), ("component", pa.string())])


def joined_schema(
    left: pa.Schema, right: pa.Schema, take: Mapping[str, str], how: JoinHow
) -> pa.Schema:
    """Left's columns, then the taken right columns under their new names."""
    fields = list(left)
    for source, name in take.items():
        if name in left.names:
            raise ValueError(f"join would give two columns named {name!r}")
        field = right.field(source)
        fields.append(
            pa.field(name, field.type, nullable=True if how == "left" else field.nullable)
        )
    return pa.schema(fields)


def write_sorted(data: LocalDataset, order: Sequence[str], folder: Path) -> int:
    """``data`` as Parquet parts in ``folder``, sorted by ``order`` across the parts."""
    tables = [read_part(p) for p in data.parts]
    table = pa.concat_tables(tables) if tables else data.schema.empty_table()
    total = table.num_rows
    if total <= FINAL_PART_ROWS:
        pq.write_table(sorted_table(table, order), folder / "part-00000.parquet")
        return total
    first = table.column(order[0])
    step = max(1, total // 2000)
    sample = sorted(v for v in first.take(np.arange(0, total, step)).to_pylist() if v is not None)
    ranges = math.ceil(total / FINAL_PART_ROWS)
    bounds = [sample[len(sample) * i // ranges] for i in range(1, ranges)] if sample else []
    values = np.array(first.to_pylist(), dtype=object)
    nulls = np.array([v is None for v in values])
    values[nulls] = ""
    where = (
        np.searchsorted(np.array(bounds, dtype=object), values, side="right")
        if bounds
        else np.zeros(total, dtype=np.int64)
    )
    where[nulls] = len(bounds)  # nulls sort last
    for r in range(len(bounds) + 1):
        piece = table.take(np.flatnonzero(where == r))
        pq.write_table(sorted_table(piece, order), folder / f"part-{r:05d}.parquet")
    return total
