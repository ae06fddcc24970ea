"""``storytrace export``: every table in every format, read back and checked against the store."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import SAMPLE, analyse_store
from storytrace import corpus
from storytrace.report.export import TABLES, export_table
from storytrace.store.db import Store
from test_pages import odd_records

FORMATS = ("jsonl", "csv", "parquet")


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    """The sample corpus with quotes and entities, an article with no metadata, and a
    file that is refused (so there is a rejection to export)."""
    folder = tmp_path_factory.mktemp("export")
    (folder / "empty.txt").write_bytes(b"")
    path = folder / "export.db"
    with Store.open(path) as store:
        inputs = [str(SAMPLE / "corpus"), str(odd_records(folder)), str(folder / "empty.txt")]
        files, _ = corpus.expand_paths(inputs)
        corpus.ingest(store, files)
        analyse_store(store, ("dedup", "reuse", "stories", "quotes"))
    return path


@pytest.fixture(scope="module")
def rows(db) -> dict[str, list[dict]]:
    with Store.open_read_only(db) as store:
        return {table: list(store.table_rows(table)) for table in TABLES}


def _read(path: Path, fmt: str, schema: pa.Schema) -> list[dict]:
    """A written table as Python rows, each format decoded as its documentation says."""
    if fmt == "parquet":
        table = pq.read_table(path)
        assert table.schema.equals(schema), (table.schema, schema)
        return table.to_pylist()
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        assert header == schema.names
        return [
            {
                name: _decode(cell, schema.field(name).type)
                for name, cell in zip(header, r, strict=True)
            }
            for r in reader
        ]


def _decode(cell: str, kind: pa.DataType):
    if cell == "":
        return [] if pa.types.is_list(kind) else None  # an empty list and null read alike
    if pa.types.is_list(kind):
        return json.loads(cell)
    if pa.types.is_boolean(kind):
        assert cell in ("true", "false"), cell
        return cell == "true"
    if pa.types.is_integer(kind):
        return int(cell)
    if pa.types.is_floating(kind):
        return float(cell)
    return cell


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("table", list(TABLES))
def test_every_table_reads_back_as_the_store_has_it(db, rows, tmp_path, table, fmt):
    out = tmp_path / f"{table}.{fmt}"
    with Store.open_read_only(db) as store:
        written = export_table(store, table, fmt, out)
    expected = rows[table]
    assert written == len(expected) > 0, table
    assert [list(r) for r in expected[:1]] == [TABLES[table].names]  # the store's own columns
    back = _read(out, fmt, TABLES[table])
    if fmt == "csv":  # CSV cannot tell an empty string from null
        expected = [{k: None if v == "" else v for k, v in r.items()} for r in expected]
    assert back == expected


def test_list_columns_are_parquet_lists(tmp_path, db):
    with Store.open_read_only(db) as store:
        for table in ("articles", "entities", "labels", "stories"):
            export_table(store, table, "parquet", tmp_path / f"{table}.parquet")
    types = {
        (t, f.name): f.type
        for t in ("articles", "entities", "labels", "stories")
        for f in pq.read_schema(tmp_path / f"{t}.parquet")
    }
    for column in (
        ("articles", "authors"),
        ("entities", "descriptors"),
        ("labels", "descriptors"),
        ("stories", "keywords"),
        ("stories", "outlets"),
        ("stories", "members"),
    ):
        assert types[column] == pa.list_(pa.string()), column


def test_export_tables_keep_the_run_tables_columns():
    from storytrace.pipeline.schemas import OUTPUT_TABLES

    for name, (schema, _) in OUTPUT_TABLES.items():
        if name not in TABLES:
            continue
        exported = TABLES[name]
        if name == "rejections":  # the store keeps when, not the record number
            assert exported.names[:3] == schema.names[:3]
            continue
        head = pa.schema(list(exported)[: len(schema)])
        assert head.equals(schema), name


def test_passages_carry_both_texts_and_articles(rows, db):
    with Store.open_read_only(db) as store:
        articles = {a.id: a for batch in store.iter_articles() for a in batch}
    for p in rows["passages"]:
        a, b = articles[p["a_id"]], articles[p["b_id"]]
        assert p["a_text"] == a.text[p["a_start"] : p["a_end"]]
        assert p["b_text"] == b.text[p["b_start"] : p["b_end"]]
        assert (p["a_outlet"], p["a_title"], p["a_published"]) == (a.outlet, a.title, a.published)
        assert (p["b_outlet"], p["b_title"], p["b_published"]) == (b.outlet, b.title, b.published)
    assert any(p["b_outlet"] is None for p in rows["passages"])  # the copy with no outlet


def test_quotes_carry_speakers_cues_outlet_and_date(rows):
    quotes = rows["quotes"]
    assert any(q["speaker_resolved"] and q["cue"] for q in quotes)
    # the sample's nested attribution: Claudia Venn's words, cited via government officials
    assert any(q["via"] == "government officials" for q in quotes)
    assert {type(q["direct"]) for q in quotes} == {bool}
    assert all(q["outlet"] for q in quotes if q["published"])


def test_labels_are_each_outlets_descriptors_once(rows):
    expected: dict[tuple, list[str]] = {}
    for e in rows["entities"]:
        if e["descriptors"]:
            seen = expected.setdefault((e["name"], e["label"], e["outlet"]), [])
            seen += [d for d in e["descriptors"] if d not in seen]
    labels = rows["labels"]
    keys = [(r["entity"], r["label"], r["outlet"]) for r in labels]
    assert len(keys) == len(set(keys)) == len(expected)
    for r in labels:
        assert sorted(r["descriptors"]) == sorted(expected[(r["entity"], r["label"], r["outlet"])])
        assert len(set(r["descriptors"])) == len(r["descriptors"]) and r["articles"] >= 1


def test_stories_are_one_row_each_and_members_another_table(rows, db):
    with Store.open_read_only(db) as store:
        stories = {s.id: s for s in store.stories()}
    assert [r["id"] for r in rows["stories"]] == sorted(stories)
    for r in rows["stories"]:
        assert r["members"] == list(stories[r["id"]].article_ids) and r["size"] == len(r["members"])
    members = rows["story_members"]
    assert len(members) == sum(len(s.article_ids) for s in stories.values())
    for sid, story in stories.items():
        mine = [m for m in members if m["story_id"] == sid]
        assert [m["article_id"] for m in mine] == list(story.article_ids)
        assert [m["position"] for m in mine] == list(range(len(mine)))
        assert all(isinstance(m["score"], float) for m in mine)


def test_rejections_and_articles(rows):
    assert any("empty.txt" in r["source"] and r["reason"] for r in rows["rejections"])
    assert all(
        isinstance(a["authors"], list) and isinstance(a["meta"], str) for a in rows["articles"]
    )


def test_the_cli_exports_the_new_tables_and_names_them_when_asked_for_another(cli, db, tmp_path):
    out = tmp_path / "entities.csv"
    done = cli("export", "--db", db, "--table", "entities", "--format", "csv", "--out", out)
    assert done.code == 0, done.err
    assert out.read_text("utf-8").splitlines()[0] == ",".join(TABLES["entities"].names)
    wrong = cli("export", "--db", db, "--table", "people", "--format", "csv")
    assert wrong.code == 2 and "unknown table 'people'" in wrong.err
    assert all(name in wrong.err for name in TABLES)
