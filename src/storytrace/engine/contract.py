"""The engine contract: the few operations every corpus job is written in.

    files(step, paths)                         the input files named by paths, folders, globs
    map(step, data, stage, shared)             a pure stage over batches of rows
    group(step, data, key, order, stage, shared)
                                               rows with equal ``key`` meet in one call,
                                               sorted by ``order``; the stage reduces them
    join(step, left, right, on, take, how)     rows of ``left`` with columns of matching
                                               ``right`` rows (inner, left, left anti)
    count(step, data, key, weight)             how many rows hold each key (or a sum)
    union(step, *data)                         rows of several datasets of one schema
    components(step, edges)                    connected components of an undirected graph
    source(step, table) / collect(data)        small tables in and out of the engine
    write(table, data, order)                  a finished output table, sorted

A job is a function of an engine and datasets; it never looks inside a dataset, so the
same job runs on ``LocalEngine`` (a process pool over Arrow files on disk) and on
``SparkEngine`` (PySpark DataFrames). Stages are pure functions of an Arrow table and a
broadcast value; every algorithm lives in a stage, never in an engine or a job.

Determinism is part of the contract: a group's rows arrive sorted by ``key`` then
``order`` (ascending, nulls last), so ``order`` must break every tie a stage could see;
``components`` names each component by its smallest node; ``write`` sorts its table.
Nothing depends on how rows were partitioned, so both engines give the same tables.

Each operation is a named ``step``. An engine keeps a step's output until the run ends,
so a rerun of an interrupted run resumes from the steps that finished.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa

from storytrace.engine.tables import conform

StageFn = Callable[[pa.Table, Any], Any]
FILE_SCHEMA = pa.schema(
    [
        ("path", pa.string()),  # as shown in sources and rejections
        ("size", pa.int64()),
        ("content", pa.binary()),
        # a piece of a big JSON Lines file: its byte range and the lines before it
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("first_line", pa.int64()),
    ]
)
Progress = Callable[[str, str], None]  # (step, message)
JoinHow = Literal["inner", "left", "left_anti"]


@dataclass(frozen=True, slots=True)
class Stage:
    """A pure function over a table of rows, and the schema of the rows it returns.

    ``fn(table, shared)`` may return a table or a list of dicts; either is conformed to
    ``schema``. ``batch_rows`` is how many rows one call should get (a group stage gets
    whole groups, so a call may get more).
    """

    fn: StageFn
    schema: pa.Schema
    batch_rows: int = 2000

    def __call__(self, table: pa.Table, shared: Any = None) -> pa.Table:
        """The stage's whole result for ``table`` as one table."""
        pieces = list(self.run(table, shared))
        return pa.concat_tables(pieces) if len(pieces) > 1 else pieces[0]

    def run(self, table: pa.Table, shared: Any = None) -> Iterator[pa.Table]:
        """The result in pieces: a stage that yields (a reader of one big file) streams."""
        result = self.fn(table, shared)
        if isinstance(result, Iterator):
            produced = False
            for piece in result:
                produced = True
                yield conform(piece, self.schema)
            if not produced:
                yield self.schema.empty_table()
            return
        yield conform(result, self.schema)

    @property
    def name(self) -> str:
        fn = self.fn
        while hasattr(fn, "func"):  # functools.partial
            fn = fn.func
        return getattr(fn, "__name__", type(fn).__name__)


class Dataset(ABC):
    """Rows an engine holds; jobs pass these between operations without looking inside."""

    schema: pa.Schema


class Engine(ABC):
    """What every engine offers; see the module docstring for the meaning of each call."""

    name: str

    @abstractmethod
    def files(self, step: str, paths: Sequence[str]) -> tuple[Dataset, list[tuple[str, str]]]:
        """The files named by ``paths`` (files, folders searched recursively, globs) as rows
        of ``FILE_SCHEMA``, and (argument, reason) for each argument that names none.

        ``content`` is null when a stage can open ``path`` itself, and holds the file's
        bytes when only the engine can reach it (an HDFS or S3 path on Spark).
        """

    @abstractmethod
    def source(self, step: str, table: pa.Table) -> Dataset: ...

    @abstractmethod
    def map(
        self, step: str, data: Dataset, stage: Stage, shared: Any = None, cheap: bool = False
    ) -> Dataset:
        """``cheap``: the stage costs little (a filter, a few columns), so an engine may
        compute it again inside each step that reads it instead of storing its rows."""

    @abstractmethod
    def group(
        self,
        step: str,
        data: Dataset,
        key: Sequence[str],
        order: Sequence[str],
        stage: Stage,
        shared: Any = None,
    ) -> Dataset: ...

    @abstractmethod
    def join(
        self,
        step: str,
        left: Dataset,
        right: Dataset,
        on: Sequence[tuple[str, str]],
        take: Mapping[str, str] | None = None,
        how: JoinHow = "inner",
    ) -> Dataset:
        """``on`` pairs a left column with a right one; ``take`` maps right columns to the
        names they get in the result (none for ``left_anti``)."""

    @abstractmethod
    def count(
        self, step: str, data: Dataset, key: Sequence[str], weight: str | None = None
    ) -> Dataset:
        """One row per distinct key: the key columns and ``n`` (int64), the number of rows
        with that key, or with ``weight`` the sum of that integer column over them."""

    @abstractmethod
    def union(self, step: str, *data: Dataset) -> Dataset: ...

    @abstractmethod
    def components(self, step: str, edges: Dataset) -> Dataset:
        """``edges`` has string columns ``src`` and ``dst``; the result has ``node`` and
        ``component`` (the smallest node of its component) for every node of an edge."""

    @abstractmethod
    def collect(self, data: Dataset) -> pa.Table:
        """All rows in this process: for small results only (a vocabulary, counts)."""

    @abstractmethod
    def write(self, table: str, data: Dataset, order: Sequence[str]) -> int:
        """Store ``data`` as output table ``table`` sorted by ``order``; returns its rows."""

    # -- bookkeeping of a run's output folder --------------------------------------------
    @abstractmethod
    def read_note(self, name: str) -> str | None:
        """A small text file of the output folder (the run's manifest), or None."""

    @abstractmethod
    def write_note(self, name: str, text: str) -> None:
        """Write a small text file of the output folder, replacing it whole."""

    @abstractmethod
    def remove_output(self) -> None:
        """Empty the output folder (a run told to overwrite an earlier one)."""

    @abstractmethod
    def remove_work(self) -> None:
        """Drop the steps kept for resuming (once a run has written every table)."""

    def close(self) -> None:  # noqa: B027 - engines without resources need nothing
        """Release what the engine holds (a Spark session, a pool)."""
