"""The engine contract on the local engine: groups arrive whole and sorted, joins and counts
mean what they say, components are named by their smallest node, and the partitioning of
the data never shows in a result."""

from __future__ import annotations

import json
import random

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from storytrace.engine import Stage
from storytrace.engine.local import LocalEngine
from storytrace.engine.tables import conform, hash_partition, sorted_table, whole_group_chunks


def test_chunks_never_split_a_group_whatever_the_pieces():
    draw = random.Random(3)
    for _ in range(40):
        keys = sorted(draw.choices("abcdefghij", k=draw.randrange(1, 400)))
        table = pa.table({"k": keys, "v": list(range(len(keys)))})
        size = draw.randrange(1, 50)
        pieces = (table.slice(i, size) for i in range(0, table.num_rows, size))
        chunks = list(whole_group_chunks(pieces, ["k"], draw.randrange(1, 60)))
        assert sum(c.num_rows for c in chunks) == table.num_rows
        seen: set[str] = set()
        for chunk in chunks:
            here = set(chunk.column("k").to_pylist())
            assert not here & seen
            seen |= here


def test_hash_partition_is_stable_and_spreads_keys():
    table = pa.table({"id": [f"{i:016x}" for i in range(5000)], "n": list(range(5000))})
    first = hash_partition(table, ["id", "n"], 8)
    assert (first == hash_partition(table, ["id", "n"], 8)).all()
    counts = np.bincount(first, minlength=8)
    assert counts.min() > 400  # no partition is starved


def test_conform_takes_tables_columns_or_rows():
    schema = pa.schema([("a", pa.string()), ("n", pa.int64())])
    want = pa.table({"a": ["x"], "n": [1]}, schema=schema)
    assert conform({"n": [1], "a": ["x"]}, schema).equals(want)
    assert conform([{"a": "x", "n": 1}], schema).equals(want)
    assert conform(
        pa.table({"n": pa.array([1], pa.int32()), "a": ["x"], "extra": [0]}), schema
    ).equals(want)
    with pytest.raises(ValueError, match="lacks"):
        conform(pa.table({"a": ["x"]}), schema)


def _group_sizes(table: pa.Table, _: object = None) -> dict[str, list]:
    from storytrace.engine.tables import groups

    out: dict[str, list] = {"k": [], "size": [], "first": []}
    for group in groups(table, ["k"]):
        out["k"].append(group.column("k")[0].as_py())
        out["size"].append(group.num_rows)
        out["first"].append(group.column("o")[0].as_py())
    return out


SIZES = pa.schema([("k", pa.string()), ("size", pa.int64()), ("first", pa.int64())])


@pytest.mark.parametrize("workers", [1, 2])
def test_group_join_count_and_components_on_the_local_engine(tmp_path, workers, monkeypatch):
    from storytrace.engine import local

    monkeypatch.setattr(local, "PARTITION_BYTES", 2000)  # many partitions from little data
    draw = random.Random(workers)
    keys = [draw.choice("pqrstuvw") for _ in range(3000)]
    data = pa.table({"k": keys, "o": [draw.randrange(10**6) for _ in keys]})
    engine = LocalEngine(tmp_path / "w", tmp_path / "o", workers=workers)
    rows = engine.source("rows", data)
    grouped = engine.collect(
        engine.group("g", rows, ["k"], ["o"], Stage(_group_sizes, SIZES, 7))
    ).sort_by("k")
    want = {
        k: (
            keys.count(k),
            min(o for kk, o in zip(keys, data.column("o").to_pylist(), strict=True) if kk == k),
        )
        for k in set(keys)
    }
    assert {r["k"]: (r["size"], r["first"]) for r in grouped.to_pylist()} == want
    counted = engine.collect(engine.count("c", rows, ["k"])).sort_by("k")
    assert dict(
        zip(counted.column("k").to_pylist(), counted.column("n").to_pylist(), strict=True)
    ) == {k: v[0] for k, v in want.items()}
    weights = engine.source("weights", pa.table({"k": ["a", "a", "b"], "w": [2, 5, 1]}))
    summed = engine.collect(engine.count("s", weights, ["k"], weight="w")).sort_by("k")
    assert summed.column("n").to_pylist() == [7, 1]
    names = engine.source("names", pa.table({"key": ["p", "q", "z"], "name": ["P", "Q", "Z"]}))
    inner = engine.collect(engine.join("j", rows, names, on=[("k", "key")], take={"name": "name"}))
    assert inner.num_rows == keys.count("p") + keys.count("q")
    left = engine.collect(
        engine.join("jl", rows, names, on=[("k", "key")], take={"name": "name"}, how="left")
    )
    assert (
        left.num_rows == len(keys) and left.column("name").null_count == len(keys) - inner.num_rows
    )
    anti = engine.collect(engine.join("ja", rows, names, on=[("k", "key")], how="left_anti"))
    assert anti.num_rows == len(keys) - inner.num_rows and "name" not in anti.column_names
    edges = engine.source(
        "edges", pa.table({"src": ["b", "c", "x", "e"], "dst": ["a", "b", "y", "e"]})
    )
    components = engine.collect(engine.components("cc", edges)).to_pylist()
    assert {r["node"]: r["component"] for r in components} == {
        "a": "a",
        "b": "a",
        "c": "a",
        "x": "x",
        "y": "x",
        "e": "e",
    }


def test_a_big_json_lines_file_read_in_pieces_gives_the_same_tables(tmp_path, monkeypatch):
    from storytrace.ingest import paths
    from storytrace.pipeline.jobs import RunOptions
    from storytrace.pipeline.run import run

    lines = []
    for i in range(600):
        lines.append(
            json.dumps(
                {
                    "id": f"r{i % 590}",
                    "title": f"Quay {i}",
                    "text": f"The harbour board met on day {i}. " * 8,
                }
            )
        )
        if i % 97 == 3:
            lines += ["", '{"text": "torn']
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "big.jsonl").write_text("\n".join(lines) + "\n")
    whole = tmp_path / "whole"
    run(
        LocalEngine(whole / "_work", whole, workers=2),
        [str(tmp_path / "in")],
        RunOptions(quotes=False),
    )
    monkeypatch.setattr(paths, "SPLIT_BYTES", 4000)  # dozens of pieces
    pieces = tmp_path / "pieces"
    run(
        LocalEngine(pieces / "_work", pieces, workers=2),
        [str(tmp_path / "in")],
        RunOptions(quotes=False),
    )
    for table in ("articles", "rejections", "dup_groups", "passages", "stories", "story_members"):
        assert pq.read_table(whole / table).equals(pq.read_table(pieces / table)), table
    sources = pq.read_table(pieces / "rejections").column("source").to_pylist()
    assert any(
        s.endswith(
            f"#{lines.index(chr(123) + chr(34) + 'text' + chr(34) + ': ' + chr(34) + 'torn') + 1}"
        )
        for s in sources
    )


def test_sorted_table_puts_nulls_last():
    table = pa.table({"k": ["b", None, "a"], "o": [1, 2, 3]})
    assert sorted_table(table, ["k"]).column("k").to_pylist() == ["a", "b", None]
