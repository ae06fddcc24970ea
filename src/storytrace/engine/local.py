"""The local engine: the contract on one machine, a process pool over Arrow files on disk.

Every step writes its rows as Arrow IPC files under ``work/<step>/`` and marks itself done,
so memory holds one batch per worker, never a dataset, and a rerun of an interrupted run
starts from the steps already done. Grouping and joining are the classic external
hash-partitioned sort, as Spark's shuffle does it: a first pass splits every part by a
hash of the key into partition files, a second pass loads one partition at a time, sorts it
and hands the stage whole groups. Workers read their inputs and write their outputs
themselves; only file names and row counts cross the process boundary.

Final tables are Parquet under ``out/<table>/``, range-partitioned on their sort key and
sorted inside each part, written to a temporary folder and renamed when complete.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from storytrace.engine import pool
from storytrace.engine.contract import (
    FILE_SCHEMA,
    Dataset,
    Engine,
    JoinHow,
    Progress,
    Stage,
)
from storytrace.engine.tables import (
    conform,
    hash_partition,
    sorted_table,
    whole_group_chunks,
)

PART_ROWS = 50_000  # rows per output part file of a map step
PARTITION_BYTES = 96 << 20  # input bytes per shuffle partition (one is sorted in memory)
MAX_PARTITIONS = 512
FINAL_PART_ROWS = 100_000  # rows per Parquet part of an output table
DONE = "_DONE"


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


class _PartWriter:
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


def _map_task(stage: Stage, part: str, prefix: str, shared: Any) -> tuple[list[str], int]:
    shared = _shared_value(shared)
    table = read_part(part)
    writer = _PartWriter(prefix, stage.schema)
    for start in range(0, table.num_rows, stage.batch_rows):
        for result in stage.run(table.slice(start, stage.batch_rows), shared):
            writer.write(result)
    return writer.close(), writer.total


def _split_task(part: str, key: Sequence[str], partitions: int, folder: str, name: str) -> None:
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


def _group_task(
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
    writer = _PartWriter(prefix, stage.schema)
    slices = (table.slice(s, PART_ROWS) for s in range(0, table.num_rows, PART_ROWS))
    for chunk in whole_group_chunks(slices, key, stage.batch_rows):
        for result in stage.run(chunk, shared):
            writer.write(result)
    return writer.close(), writer.total


def _join_task(
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
    writer = _PartWriter(prefix, out_schema)
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


def _count_task(
    folder: str, key: Sequence[str], schema: pa.Schema, prefix: str
) -> tuple[list[str], int]:
    table = _partition_table(Path(folder), "in", schema)
    writer = _PartWriter(prefix, pa.schema([*[schema.field(k) for k in key], ("n", pa.int64())]))
    if table.num_rows:
        counted = table.group_by(list(key)).aggregate([([], "count_all")])
        counted = (
            counted.rename_columns([*key, "n"])
            if counted.column_names[-1] == "count_all"
            else counted
        )
        writer.write(conform(counted.select([*key, "n"]), writer.schema))
    return writer.close(), writer.total


class LocalEngine(Engine):
    """The contract on this machine; ``workers`` processes (default: every core)."""

    name = "local"

    def __init__(
        self,
        work: Path,
        out: Path | None = None,
        workers: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.work = Path(work)
        self.out = Path(out) if out is not None else None
        self.workers = workers or pool.default_workers()
        self.progress = progress or (lambda step, message: None)
        self.work.mkdir(parents=True, exist_ok=True)

    # -- bookkeeping ---------------------------------------------------------------------
    def _done(self, step: str) -> LocalDataset | None:
        marker = self.work / step / DONE
        if not marker.exists():
            return None
        record = json.loads(marker.read_text())
        schema = pa.ipc.read_schema(pa.py_buffer(bytes.fromhex(record["schema"])))
        parts = tuple(str(self.work / step / p) for p in record["parts"])
        self.progress(step, f"done earlier ({record['rows']:,} rows)")
        return LocalDataset(parts, schema)

    def _begin(self, step: str) -> Path:
        folder = self.work / step
        if folder.exists():
            shutil.rmtree(folder)  # what an interrupted attempt left
        folder.mkdir(parents=True)
        return folder

    def _finish(
        self, step: str, parts: Iterable[str], rows: int, schema: pa.Schema
    ) -> LocalDataset:
        folder = self.work / step
        shutil.rmtree(folder / "_shuffle", ignore_errors=True)
        names = [os.path.relpath(p, folder) for p in parts]
        record = {"rows": rows, "parts": names, "schema": schema.serialize().to_pybytes().hex()}
        (folder / DONE).write_text(json.dumps(record))
        self.progress(step, f"{rows:,} rows")
        return LocalDataset(tuple(str(folder / n) for n in names), schema)

    def _run_tasks(
        self, fn: Callable[..., Any], tasks: list[tuple], shared: Any = None
    ) -> list[Any]:
        """``fn(*task)`` for every task, in a pool when there is more than one; in order."""
        if self.workers <= 1 or len(tasks) <= 1:
            pool.set_shared(shared)
            try:
                return [fn(*task) for task in tasks]
            finally:
                pool.set_shared(None)
        with ProcessPoolExecutor(
            max_workers=min(self.workers, len(tasks)),
            initializer=pool.start_worker,
            initargs=(shared,),
        ) as executor:
            return list(executor.map(_star, [(fn, task) for task in tasks]))

    def _partitions(self, *data: LocalDataset) -> int:
        size = sum(d.bytes for d in data)
        wanted = math.ceil(size / PARTITION_BYTES)
        if size > 4 << 20:
            wanted = max(wanted, self.workers)
        return max(1, min(MAX_PARTITIONS, wanted))

    def _split(
        self, data: LocalDataset, key: Sequence[str], partitions: int, folder: Path, side: str
    ) -> None:
        tasks = [
            (part, tuple(key), partitions, str(folder), f"{side}-{i:05d}")
            for i, part in enumerate(data.parts)
        ]
        self._run_tasks(_split_task, tasks)

    # -- the contract ----------------------------------------------------------------------
    def files(self, step: str, paths: Sequence[str]) -> tuple[LocalDataset, list[tuple[str, str]]]:
        from storytrace.ingest.paths import expand_paths

        found, bad = expand_paths(paths)
        rows = [
            {"path": str(p.resolve()), "size": p.stat().st_size, "content": None} for p in found
        ]
        return self._files_dataset(step, rows), bad

    def _files_dataset(self, step: str, rows: list[dict[str, Any]]) -> LocalDataset:
        """Files in parts of about 64 MB each (a big file alone), so reading is parallel."""
        if (done := self._done(step)) is not None:
            return done
        folder = self._begin(step)
        parts, batch, size = [], [], 0
        for row in rows:
            batch.append(row)
            size += row["size"]
            if size >= 64 << 20 or len(batch) >= 200:
                parts.append(batch)
                batch, size = [], 0
        if batch or not parts:
            parts.append(batch)
        paths = []
        for i, chunk in enumerate(parts):
            writer = _PartWriter(str(folder / f"part-{i:05d}"), FILE_SCHEMA)
            writer.write(pa.Table.from_pylist(chunk, schema=FILE_SCHEMA))
            paths += writer.close() or []
        return self._finish(step, paths, len(rows), FILE_SCHEMA)

    def source(
        self, step: str, table: pa.Table | Iterable[pa.Table], schema: pa.Schema | None = None
    ) -> LocalDataset:
        """A dataset from one table or a stream of tables (written as they come)."""
        if (done := self._done(step)) is not None:
            return done
        folder = self._begin(step)
        tables = [table] if isinstance(table, pa.Table) else table
        writer: _PartWriter | None = None
        for piece in tables:
            if writer is None:
                schema = schema or piece.schema
                writer = _PartWriter(str(folder / "part-00000"), schema)
            writer.write(conform(piece, schema))
        if writer is None:
            if schema is None:
                raise ValueError("an empty source needs its schema")
            writer = _PartWriter(str(folder / "part-00000"), schema)
            writer.write(schema.empty_table())
        return self._finish(step, writer.close(), writer.total, writer.schema)

    def map(self, step: str, data: Dataset, stage: Stage, shared: Any = None) -> LocalDataset:
        if (done := self._done(step)) is not None:
            return done
        folder = self._begin(step)
        data = _local(data)
        token = (
            pool.FromPool()
            if shared is not None and self.workers > 1 and len(data.parts) > 1
            else shared
        )
        tasks = [
            (stage, part, str(folder / f"part-{i:05d}"), token) for i, part in enumerate(data.parts)
        ]
        results = self._run_tasks(_map_task, tasks, shared)
        parts = [p for paths, _ in results for p in paths]
        return self._finish(step, parts, sum(n for _, n in results), stage.schema)

    def group(
        self,
        step: str,
        data: Dataset,
        key: Sequence[str],
        order: Sequence[str],
        stage: Stage,
        shared: Any = None,
    ) -> LocalDataset:
        if (done := self._done(step)) is not None:
            return done
        folder = self._begin(step)
        data = _local(data)
        partitions = self._partitions(data)
        shuffle = folder / "_shuffle"
        self._split(data, key, partitions, shuffle, "in")
        token = (
            pool.FromPool()
            if shared is not None and self.workers > 1 and partitions > 1
            else shared
        )
        tasks = [
            (
                stage,
                str(shuffle / f"p{p:04d}"),
                tuple(key),
                tuple(order),
                data.schema,
                str(folder / f"part-{p:05d}"),
                token,
            )
            for p in range(partitions)
        ]
        results = self._run_tasks(_group_task, tasks, shared)
        parts = [p for paths, _ in results for p in paths]
        return self._finish(step, parts, sum(n for _, n in results), stage.schema)

    def join(
        self,
        step: str,
        left: Dataset,
        right: Dataset,
        on: Sequence[tuple[str, str]],
        take: Mapping[str, str] | None = None,
        how: JoinHow = "inner",
    ) -> LocalDataset:
        if (done := self._done(step)) is not None:
            return done
        left, right = _local(left), _local(right)
        take = dict(take or {}) if how != "left_anti" else {}
        out_schema = joined_schema(left.schema, right.schema, take, how)
        folder = self._begin(step)
        partitions = self._partitions(left, right)
        shuffle = folder / "_shuffle"
        self._split(left, [a for a, _ in on], partitions, shuffle, "left")
        self._split(right, [r for _, r in on], partitions, shuffle, "right")
        tasks = [
            (
                str(shuffle / f"p{p:04d}"),
                tuple(on),
                take,
                how,
                (left.schema, right.schema),
                out_schema,
                str(folder / f"part-{p:05d}"),
            )
            for p in range(partitions)
        ]
        results = self._run_tasks(_join_task, tasks)
        parts = [p for paths, _ in results for p in paths]
        return self._finish(step, parts, sum(n for _, n in results), out_schema)

    def count(self, step: str, data: Dataset, key: Sequence[str]) -> LocalDataset:
        if (done := self._done(step)) is not None:
            return done
        data = _local(data)
        folder = self._begin(step)
        partitions = self._partitions(data)
        shuffle = folder / "_shuffle"
        self._split(data, key, partitions, shuffle, "in")
        tasks = [
            (str(shuffle / f"p{p:04d}"), tuple(key), data.schema, str(folder / f"part-{p:05d}"))
            for p in range(partitions)
        ]
        results = self._run_tasks(_count_task, tasks)
        schema = pa.schema([*[data.schema.field(k) for k in key], ("n", pa.int64())])
        return self._finish(
            step, [p for paths, _ in results for p in paths], sum(n for _, n in results), schema
        )

    def union(self, step: str, *data: Dataset) -> LocalDataset:
        if (done := self._done(step)) is not None:
            return done
        sets = [_local(d) for d in data]
        schema = sets[0].schema
        folder = self._begin(step)
        writer = _PartWriter(str(folder / "part-00000"), schema)
        for d in sets:
            for part in d.parts:
                writer.write(conform(read_part(part), schema))
        return self._finish(step, writer.close(), writer.total, schema)

    def components(self, step: str, edges: Dataset) -> LocalDataset:
        if (done := self._done(step)) is not None:
            return done
        edges = _local(edges)
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            root = x
            while parent.get(root, root) != root:
                root = parent[root]
            while parent.get(x, x) != root:
                parent[x], x = root, parent[x]
            return root

        for part in edges.parts:
            table = read_part(part)
            for src, dst in zip(
                table.column("src").to_pylist(), table.column("dst").to_pylist(), strict=True
            ):
                parent.setdefault(src, src)
                parent.setdefault(dst, dst)
                a, b = find(src), find(dst)
                if a != b:  # the smaller id is the root, so a root is its component's minimum
                    parent[max(a, b)] = min(a, b)
        nodes = sorted(parent)
        table = pa.table(
            {"node": nodes, "component": [find(n) for n in nodes]}, schema=COMPONENT_SCHEMA
        )
        return self.source(step, table, COMPONENT_SCHEMA)

    def collect(self, data: Dataset) -> pa.Table:
        data = _local(data)
        tables = [read_part(p) for p in data.parts]
        return pa.concat_tables(tables) if tables else data.schema.empty_table()

    def write(self, table: str, data: Dataset, order: Sequence[str]) -> int:
        if self.out is None:
            raise ValueError("this engine has no output folder")
        data = _local(data)
        final = self.out / table
        if (final / "_SUCCESS").exists():
            rows = sum(pq.ParquetFile(p).metadata.num_rows for p in sorted(final.glob("*.parquet")))
            self.progress(f"write {table}", f"done earlier ({rows:,} rows)")
            return rows
        temporary = self.out / f".{table}.{uuid.uuid4().hex[:8]}.tmp"
        temporary.mkdir(parents=True)
        rows = _write_sorted(data, order, temporary)
        (temporary / "_SUCCESS").write_text("")
        if final.exists():
            shutil.rmtree(final)
        temporary.rename(final)
        self.progress(f"write {table}", f"{rows:,} rows")
        return rows

    # -- bookkeeping ---------------------------------------------------------------------
    def read_note(self, name: str) -> str | None:
        path = self._out_folder() / name
        return path.read_text(encoding="utf-8") if path.exists() else None

    def write_note(self, name: str, text: str) -> None:
        folder = self._out_folder()
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{name}.tmp"
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(folder / name)  # whole or not at all

    def remove_output(self) -> None:
        folder = self._out_folder()
        if folder.exists():
            for child in folder.iterdir():
                if child.resolve() == self.work.resolve():
                    continue
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        self.remove_work()

    def remove_work(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True, exist_ok=True)

    def _out_folder(self) -> Path:
        if self.out is None:
            raise ValueError("this engine has no output folder")
        return self.out


def _star(item: tuple[Callable[..., Any], tuple]) -> Any:
    fn, task = item
    return fn(*task)


def _local(data: Dataset) -> LocalDataset:
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


def _write_sorted(data: LocalDataset, order: Sequence[str], folder: Path) -> int:
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
