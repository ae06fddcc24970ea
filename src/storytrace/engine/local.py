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
from pathlib import Path
from typing import Any

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
from storytrace.engine.parts import (
    COMPONENT_SCHEMA,
    LocalDataset,
    PartWriter,
    count_task,
    group_task,
    join_task,
    joined_schema,
    local_dataset,
    map_task,
    read_part,
    split_task,
    star,
    write_sorted,
)
from storytrace.engine.tables import conform

PARTITION_BYTES = 96 << 20  # input bytes per shuffle partition (one is sorted in memory)
MAX_PARTITIONS = 512
DONE = "_DONE"


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
            return list(executor.map(star, [(fn, task) for task in tasks]))

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
        self._run_tasks(split_task, tasks)

    # -- the contract ----------------------------------------------------------------------
    def files(self, step: str, paths: Sequence[str]) -> tuple[LocalDataset, list[tuple[str, str]]]:
        from storytrace.ingest.paths import expand_paths, file_rows

        found, bad = expand_paths(paths)
        rows = file_rows(found)
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
            writer = PartWriter(str(folder / f"part-{i:05d}"), FILE_SCHEMA)
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
        writer: PartWriter | None = None
        for piece in tables:
            if writer is None:
                schema = schema or piece.schema
                writer = PartWriter(str(folder / "part-00000"), schema)
            writer.write(conform(piece, schema))
        if writer is None:
            if schema is None:
                raise ValueError("an empty source needs its schema")
            writer = PartWriter(str(folder / "part-00000"), schema)
            writer.write(schema.empty_table())
        return self._finish(step, writer.close(), writer.total, writer.schema)

    def map(
        self, step: str, data: Dataset, stage: Stage, shared: Any = None, cheap: bool = False
    ) -> LocalDataset:
        if (done := self._done(step)) is not None:
            return done
        folder = self._begin(step)
        data = local_dataset(data)
        token = (
            pool.FromPool()
            if shared is not None and self.workers > 1 and len(data.parts) > 1
            else shared
        )
        tasks = [
            (stage, part, str(folder / f"part-{i:05d}"), token) for i, part in enumerate(data.parts)
        ]
        results = self._run_tasks(map_task, tasks, shared)
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
        data = local_dataset(data)
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
        results = self._run_tasks(group_task, tasks, shared)
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
        left, right = local_dataset(left), local_dataset(right)
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
        results = self._run_tasks(join_task, tasks)
        parts = [p for paths, _ in results for p in paths]
        return self._finish(step, parts, sum(n for _, n in results), out_schema)

    def count(
        self, step: str, data: Dataset, key: Sequence[str], weight: str | None = None
    ) -> LocalDataset:
        if (done := self._done(step)) is not None:
            return done
        data = local_dataset(data)
        folder = self._begin(step)
        partitions = self._partitions(data)
        shuffle = folder / "_shuffle"
        self._split(data, key, partitions, shuffle, "in")
        tasks = [
            (
                str(shuffle / f"p{p:04d}"),
                tuple(key),
                weight,
                data.schema,
                str(folder / f"part-{p:05d}"),
            )
            for p in range(partitions)
        ]
        results = self._run_tasks(count_task, tasks)
        schema = pa.schema([*[data.schema.field(k) for k in key], ("n", pa.int64())])
        return self._finish(
            step, [p for paths, _ in results for p in paths], sum(n for _, n in results), schema
        )

    def union(self, step: str, *data: Dataset) -> LocalDataset:
        if (done := self._done(step)) is not None:
            return done
        sets = [local_dataset(d) for d in data]
        schema = sets[0].schema
        folder = self._begin(step)
        writer = PartWriter(str(folder / "part-00000"), schema)
        for d in sets:
            for part in d.parts:
                writer.write(conform(read_part(part), schema))
        return self._finish(step, writer.close(), writer.total, schema)

    def components(self, step: str, edges: Dataset) -> LocalDataset:
        if (done := self._done(step)) is not None:
            return done
        edges = local_dataset(edges)
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
        data = local_dataset(data)
        tables = [read_part(p) for p in data.parts]
        return pa.concat_tables(tables) if tables else data.schema.empty_table()

    def write(self, table: str, data: Dataset, order: Sequence[str]) -> int:
        if self.out is None:
            raise ValueError("this engine has no output folder")
        data = local_dataset(data)
        final = self.out / table
        if (final / "_SUCCESS").exists():
            rows = sum(pq.ParquetFile(p).metadata.num_rows for p in sorted(final.glob("*.parquet")))
            self.progress(f"write/{table}", f"done earlier ({rows:,} rows)")
            return rows
        temporary = self.out / f".{table}.{uuid.uuid4().hex[:8]}.tmp"
        temporary.mkdir(parents=True)
        rows = write_sorted(data, order, temporary)
        (temporary / "_SUCCESS").write_text("")
        if final.exists():
            shutil.rmtree(final)
        temporary.rename(final)
        self.progress(f"write/{table}", f"{rows:,} rows")
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
