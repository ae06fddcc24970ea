"""Arrow tables as stages see them: rows in, rows out, groups cut whole.

Both engines hand a stage a ``pyarrow.Table`` and take back a table of its declared schema,
so a stage never knows which engine runs it. These helpers are the whole vocabulary a
stage needs beyond its own algorithm: rows as dicts, a result conformed to its schema, and
the groups of a table sorted by key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def rows(table: pa.Table | pa.RecordBatch) -> list[dict[str, Any]]:
    """The rows of a table as dicts (what a Python stage loops over)."""
    return table.to_pylist()


def conform(
    result: pa.Table | pa.RecordBatch | Sequence[Mapping[str, Any]], schema: pa.Schema
) -> pa.Table:
    """A stage's result as a table of exactly ``schema``: columns in order, types cast.

    A stage may return a table, a dict of columns or a list of row dicts.

    Spark matches the columns of a returned batch by position and converts nothing, so
    every result is put in the declared shape here, in one place, for both engines.
    """
    if isinstance(result, pa.RecordBatch):
        result = pa.Table.from_batches([result])
    if isinstance(result, Mapping):  # columns by name
        result = pa.table(
            {name: pa.array(result[name], schema.field(name).type) for name in schema.names}
        )
    if isinstance(result, pa.Table):
        missing = [name for name in schema.names if name not in result.column_names]
        if missing:
            raise ValueError(f"stage result lacks columns {missing}")
        return result.select(schema.names).cast(schema)
    return pa.Table.from_pylist(list(result), schema=schema)


def empty(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


def group_starts(table: pa.Table, key: Sequence[str]) -> np.ndarray:
    """Row numbers where a new group begins in a table sorted by ``key`` (0 included)."""
    n = table.num_rows
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.zeros(n - 1, dtype=bool)
    for name in key:
        column = table.column(name)
        left, right = column.slice(0, n - 1), column.slice(1)
        differs = pc.fill_null(pc.not_equal(left, right), True)
        both_null = pc.and_(pc.is_null(left), pc.is_null(right))
        change |= np.asarray(pc.and_not(differs, both_null))
    return np.concatenate([[0], np.flatnonzero(change) + 1]).astype(np.int64)


def groups(table: pa.Table, key: Sequence[str]) -> Iterator[pa.Table]:
    """Each group of a table sorted by ``key``, as a zero-copy slice."""
    starts = group_starts(table, key)
    ends = np.append(starts[1:], table.num_rows)
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        yield table.slice(start, end - start)


def whole_group_chunks(
    tables: Iterator[pa.Table], key: Sequence[str], target_rows: int
) -> Iterator[pa.Table]:
    """Chunks of at least ``target_rows`` rows (the last may be smaller) that never split a
    group.

    ``tables`` arrive sorted by ``key`` as one stream (the pieces of one partition). Rows
    not yet emitted, the last group among them, are carried into the next round, since
    that group may go on in the next piece. A group larger than ``target_rows`` is one
    chunk.
    """
    carry: pa.Table | None = None
    for piece in tables:
        if piece.num_rows == 0:
            continue
        current = piece if carry is None else pa.concat_tables([carry, piece])
        if current.num_rows < target_rows:
            carry = current
            continue
        starts = group_starts(current, key).tolist()
        begin = 0
        for start in starts[1:]:  # the group starting at starts[-1] may go on: never cut after it
            if start - begin >= target_rows:
                yield current.slice(begin, start - begin)
                begin = start
        carry = current.slice(begin)
    if carry is not None and carry.num_rows:
        starts = group_starts(carry, key).tolist()
        begin = 0
        for start in [*starts[1:], carry.num_rows]:
            if start - begin >= target_rows or start == carry.num_rows:
                yield carry.slice(begin, start - begin)
                begin = start


def sort_keys(key: Sequence[str], order: Sequence[str]) -> list[tuple[str, str, str]]:
    return [(name, "ascending", "at_end") for name in (*key, *order)]


def sorted_table(table: pa.Table, key: Sequence[str], order: Sequence[str] = ()) -> pa.Table:
    """Rows by ``key`` then ``order``, ascending, nulls last (as the Spark engine sorts)."""
    if table.num_rows < 2:
        return table
    return table.sort_by(sort_keys(key, order))


def hash_partition(table: pa.Table, key: Sequence[str], partitions: int) -> np.ndarray:
    """A partition number in ``[0, partitions)`` for each row, from its key values.

    Only the rows' grouping depends on it, never a result, so any stable hash will do;
    this one is vectorised (integers mixed, strings hashed from their bytes).
    """
    n = table.num_rows
    acc = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for name in key:
            acc = _mix(acc * np.uint64(0x100000001B3) + _column_hash(table.column(name)))
    return (acc % np.uint64(max(partitions, 1))).astype(np.int64)


def _mix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _column_hash(column: pa.ChunkedArray) -> np.ndarray:
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        values = pc.fill_null(column.cast(pa.int64()), 0)
        return _mix(np.asarray(values).astype(np.int64).view(np.uint64))
    if pa.types.is_floating(kind):
        values = pc.fill_null(column.cast(pa.float64()), 0.0)
        return _mix(np.asarray(values).view(np.uint64))
    if (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
    ):
        return _bytes_hash(column.cast(pa.large_binary()))
    return _bytes_hash(pc.cast(column, pa.large_string()).cast(pa.large_binary()))


def _bytes_hash(column: pa.Array) -> np.ndarray:
    """Hash of each value's length, first 16 and last 16 bytes (enough to spread keys)."""
    n = len(column)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int64)[
        column.offset : column.offset + n + 1
    ]
    data_buffer = column.buffers()[2]
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8)
        if data_buffer is not None
        else np.zeros(1, np.uint8)
    )
    if len(data) == 0:
        data = np.zeros(1, np.uint8)
    starts, ends = offsets[:-1], offsets[1:]
    lengths = (ends - starts).astype(np.uint64)
    acc = lengths.copy()
    span = np.arange(16)
    with np.errstate(over="ignore"):
        for base in (starts, np.maximum(ends - 16, starts)):
            index = base[:, None] + span[None, :]
            inside = index < ends[:, None]
            picked = np.where(inside, data[np.clip(index, 0, len(data) - 1)], 0).astype(np.uint64)
            for j in range(16):
                acc = acc * np.uint64(0x100000001B3) + picked[:, j]
    if column.null_count:
        acc[np.asarray(column.is_null())] = 0
    return _mix(acc)
