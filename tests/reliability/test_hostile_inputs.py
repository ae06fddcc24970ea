"""Hostile inputs: no record stops an ingest, nothing exhausts memory, every refusal has a reason.

Each case here is one a real crawl produced (see issue 12): a malformed URL, a record nested
100,000 deep, a WARC response without a target URI, a file name that is not UTF-8, a
decompression bomb, a 12 MB JSON line, a FIFO, Latin-1 text. Memory and time per input
are measured in ``benchmarks/reliability.py``; these tests check the outcomes.
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import GOOD_BODY, write_hostile

from storytrace import corpus
from storytrace.errors import InputError, StoreError
from storytrace.ingest import Limits, load_article, read_path
from storytrace.ingest.encoding import decode
from storytrace.ingest.load import display_path
from storytrace.ingest.stage import safe_records
from storytrace.model import Article, Rejected
from storytrace.store.db import Store


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("STORYTRACE_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "storytrace.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    return folder, write_hostile(folder)


def _by_file(folder: Path, items: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Rejection reasons grouped by the hostile file they name."""
    out: dict[str, list[str]] = {}
    for source, reason in items:
        name = source.removeprefix(str(folder) + "/").split("#")[0].split(" ")[0]
        out.setdefault(name, []).append(reason)
    return out


def test_folder_of_hostile_inputs_keeps_every_good_record_rerun_or_not(hostile, tmp_path):
    folder, expect = hostile
    db = tmp_path / "hostile.db"
    for run in ("first", "rerun"):
        proc = _cli("ingest", folder, "--db", db, "--json", timeout=120)
        assert proc.returncode == 1, proc.stderr  # something was rejected
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
        summary = json.loads(proc.stdout)
        rejected = _by_file(folder, [(r["source"], r["reason"]) for r in summary["rejected"]])
        for name, what in expect.items():
            name = display_path(name)
            if what.reason is None:
                assert name not in rejected, (run, name, rejected.get(name))
            else:
                assert name in rejected, (run, name)
                assert all(what.reason in reason for reason in rejected[name]), (run, name)
        assert set(rejected) <= {display_path(n) for n in expect}
    with Store.open(db) as store:
        stored: dict[str, int] = {}
        for (source,) in store.conn.execute("SELECT source FROM articles"):
            name = source.removeprefix(str(folder) + "/").split("#")[0].split(" ")[0]
            stored[name] = stored.get(name, 0) + 1
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for name, what in expect.items():
        got = stored.get(display_path(name), 0)
        assert got >= what.reads if what.at_least else got == what.reads, (name, got)


def test_malformed_urls_and_odd_fields_are_stored_not_fatal(tmp_path):
    rows = [
        {"text": GOOD_BODY + " One.", "url": "http://[oops/x"},
        {"text": GOOD_BODY + " Two.", "url": ["http://kessmouth.example/a", "b"]},
        {"text": GOOD_BODY + " Three.", "url": "http://\u2100.com/"},
        {"text": GOOD_BODY + " Four.", "title": {"a": 1}, "outlet": [None, 3]},
    ]
    path = tmp_path / "urls.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    items = list(read_path(path))
    assert all(isinstance(i, Article) for i in items), items
    assert items[1].url == "http://kessmouth.example/a"
    assert items[1].outlet == "kessmouth.example"


def test_a_deeply_nested_record_is_rejected_and_reading_goes_on(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text("[" * 100_000 + "\n" + json.dumps({"text": GOOD_BODY}) + "\n")
    items = list(read_path(path))
    assert isinstance(items[0], Rejected) and "nested too deeply" in items[0].reason
    assert isinstance(items[1], Article)
    whole = tmp_path / "deep.json"
    whole.write_text("[" * 100_000)
    (only,) = list(read_path(whole))
    assert isinstance(only, Rejected) and "nested too deeply" in only.reason


def test_warc_response_without_target_uri_is_read_and_so_is_the_next(hostile):
    folder, _ = hostile
    items = list(read_path(folder / "no-target.warc.gz"))
    assert [type(i) for i in items] == [Article, Article]
    assert items[0].url is None and items[1].url == "http://kessmouth.example/q"


def test_file_name_that_is_not_utf8_is_ingested_and_remembered(hostile, tmp_path):
    folder, _ = hostile
    path = folder / os.fsdecode(b"odd-\xff\xfe.txt")
    with Store.open(tmp_path / "odd.db") as store:
        first = corpus.ingest(store, [path])
        again = corpus.ingest(store, [path])
        (source,) = store.conn.execute("SELECT source FROM articles").fetchone()
    assert first.added == 1 and not first.rejected
    assert again.unchanged == 1 and again.added == 0
    assert "\\xff\\xfe" in source  # shown as escapes, storable as UTF-8


@pytest.mark.parametrize("name", ["bomb.jsonl.gz", "bomb.xml.gz", "bomb.csv.gz", "bomb.txt.gz"])
def test_decompression_bombs_are_refused(hostile, name):
    folder, _ = hostile
    items = list(safe_records(folder / name, None, None, 1, Limits()))
    assert items and all(isinstance(i, Rejected) for i in items)
    assert all("(raise with --max-" in i.reason for i in items), items


def test_a_bomb_is_refused_by_extract_too(hostile):
    folder, _ = hostile
    proc = _cli("extract", folder / "bomb.jsonl.gz")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "decompression bomb" in proc.stderr


def test_records_over_the_cap_are_rejected_and_the_next_ones_read(hostile):
    folder, _ = hostile
    for name in ("huge-line.jsonl", "huge-row.csv"):
        items = list(read_path(folder / name))
        assert isinstance(items[0], Rejected) and "--max-record-mb" in items[0].reason
        assert isinstance(items[-1], Article)
    raised = list(read_path(folder / "huge-line.jsonl", limits=Limits(max_record_bytes=64 << 20)))
    assert isinstance(raised[0], Article)  # the option really raises the cap


@pytest.mark.parametrize("command", ["extract", "quotes", "compare"])
def test_fifo_is_refused_at_once_without_hanging(hostile, command):
    folder, _ = hostile
    args = [command, folder / "pipe.txt"]
    if command == "compare":
        args.append(folder / "good-1.txt")
    proc = _cli(*args, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "named pipe" in proc.stderr and proc.stderr.count("\n") == 1


def test_ingest_names_a_fifo_for_what_it_is(hostile, tmp_path):
    folder, _ = hostile
    proc = _cli("ingest", folder / "pipe.txt", folder / "good-1.txt", "--db", tmp_path / "f.db")
    assert proc.returncode == 1
    assert "named pipe" in proc.stderr and "no such file" not in proc.stderr
    assert proc.stdout.startswith("1 article new this run")


ENCODED = {
    "latin-1": ("Café crème at the déjà vu bar, said the naïve reporter.", "latin-1"),
    "cp1252": ("The minister’s “reform” — Müller said it costs €5 million.", "cp1252"),
    "cp1251": ("Президент заявил в понедельник, что переговоры продолжатся.", "cp1251"),
    "cp1256": ("قال المتحدث باسم الحكومة يوم الاثنين إن المفاوضات ستستمر", "cp1256"),
    "gb18030": ("政府发言人星期一表示，谈判将于下周继续进行。", "gb18030"),
    "shift-jis": ("政府の報道官は月曜日、交渉は来週も続くと述べた。", "shift_jis"),
    "utf-16-bom": ("The council said on Monday – Café crème.", "utf-16"),
    "utf-16-le": ("The council said on Monday – Café crème.", "utf-16-le"),
    "cp1250": ("Rząd ogłosił w poniedziałek, że rozmowy będą kontynuowane.", "cp1250"),
}


@pytest.mark.parametrize("family", sorted(ENCODED))
def test_each_encoding_family_decodes_right(family, tmp_path):
    text, codec = ENCODED[family]
    assert decode(text.encode(codec)) == text
    path = tmp_path / "article.txt"
    path.write_bytes((f"Headline\n\n{text} " * 3).encode(codec))
    assert text in load_article(path).text


def test_declared_charset_wins_and_a_false_latin1_label_does_not(tmp_path):
    page = "<html><head><meta charset='{}'><title>T</title></head><body><p>{}</p></body></html>"
    body = "Правительство заявило в понедельник, что переговоры будут продолжены. " * 8
    koi8 = tmp_path / "koi8.html"
    koi8.write_bytes(page.format("koi8-r", body).encode("koi8_r"))
    assert "Правительство" in load_article(koi8).text
    utf8 = tmp_path / "mislabelled.html"
    words = "Le café et la crème de la ville ont été servis, déjà chauds, lundi. " * 8
    utf8.write_bytes(page.format("iso-8859-1", words).encode("utf-8"))
    assert "café" in load_article(utf8).text and "Ã" not in load_article(utf8).text


def test_a_file_that_yields_nothing_is_itself_rejected(hostile, tmp_path):
    folder, _ = hostile
    with Store.open(tmp_path / "r.db") as store:
        summary = corpus.ingest(store, [folder / "random.warc"])
    assert summary.added == 0 and summary.rejected
    assert "no article or record" in summary.rejected[0][1]


def test_a_resumed_file_counts_only_real_duplicates(tmp_path):
    lines = [json.dumps({"text": f"{GOOD_BODY} Record {i}."}) for i in range(450)]
    lines.append(json.dumps({"text": f"{GOOD_BODY} Record 3."}))  # one true duplicate
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n")
    db = tmp_path / "resume.db"

    class StopError(Exception):
        pass

    with Store.open(db) as store:
        original = corpus._commit

        def commit_then_die(*args, **kwargs):
            original(*args, **kwargs)
            raise StopError  # as if killed right after the first batch committed

        corpus._commit = commit_then_die
        try:
            with pytest.raises(StopError):
                corpus.ingest(store, [path])
        finally:
            corpus._commit = original
        stored = store.count()
        summary = corpus.ingest(store, [path])
    assert 0 < stored < 450
    assert summary.resumed == stored and summary.duplicates == 1
    assert summary.added == 450 - stored


def test_rejections_go_to_stderr_and_the_summary_to_stdout(hostile, tmp_path):
    folder, _ = hostile
    proc = _cli("ingest", folder / "good-1.txt", folder / "empty.txt", "--db", tmp_path / "e.db")
    assert proc.returncode == 1
    assert "rejected" in proc.stderr and "empty" in proc.stderr
    assert "empty.txt" not in proc.stdout and proc.stdout.startswith("1 article new this run")


def test_a_failing_store_stops_the_run_with_one_line_and_keeps_earlier_batches(
    tmp_path, monkeypatch
):
    lines = [json.dumps({"text": f"{GOOD_BODY} Entry {i}."}) for i in range(450)]
    path = tmp_path / "entries.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with Store.open(tmp_path / "full.db") as store:
        calls = {"n": 0}
        original = Store.add_article

        def full_disk(self, article):
            calls["n"] += 1
            if calls["n"] > corpus.BATCH:
                raise sqlite3.OperationalError("database or disk is full")
            original(self, article)

        monkeypatch.setattr(Store, "add_article", full_disk)
        with pytest.raises(StoreError, match="disk is full"):
            corpus.ingest(store, [path])
        monkeypatch.undo()
        assert store.count() == corpus.BATCH  # the committed batch, nothing half-written
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_corrupt_database_is_one_line(tmp_path, hostile):
    folder, _ = hostile
    db = tmp_path / "junk.db"
    db.write_bytes(b"not a database at all, just bytes" * 100)
    proc = _cli("ingest", folder / "good-1.txt", "--db", db)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "not a storytrace database" in proc.stderr


def test_compare_refuses_an_article_over_the_word_budget_at_once(tmp_path, hostile):
    folder, _ = hostile
    long = tmp_path / "long.txt"
    long.write_text("Headline\n\n" + "word " * 40_000)
    proc = _cli("compare", long, folder / "good-1.txt", timeout=60)
    assert proc.returncode == 2 and "--max-words" in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_gzip_stream_in_several_members_is_read_whole(tmp_path):
    path = tmp_path / "members.jsonl.gz"
    parts = [json.dumps({"text": f"{GOOD_BODY} Member {i}."}) + "\n" for i in range(3)]
    path.write_bytes(b"".join(gzip.compress(p.encode()) for p in parts))
    assert len([i for i in read_path(path) if isinstance(i, Article)]) == 3


def test_read_path_refuses_a_fifo_without_opening_it(hostile):
    folder, _ = hostile
    with pytest.raises(InputError, match="named pipe"):
        list(read_path(folder / "pipe.txt"))


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--port", "0x"],
        ["ingest"],
        ["no-such-command"],
        ["ingest", "--bogus", "x"],
        ["ingest", "x", "--max-record-mb", "0"],
        ["compare", "a.txt"],
    ],
)
def test_a_bad_command_line_is_one_line_and_exit_2(args):
    proc = _cli(*args)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("storytrace: error:")
    assert "Traceback" not in proc.stderr


def test_a_record_cannot_rename_another_outlets_articles(tmp_path):
    """One name per domain only fills in records that name no outlet of their own."""
    from storytrace.engine.local import LocalEngine
    from storytrace.pipeline.jobs import RunOptions
    from storytrace.pipeline.run import run

    rows = [
        {"outlet": "Harbour Courier", "url": "https://wire.example/a", "title": "A"},
        {"outlet": "Valley Times", "url": "https://wire.example/b", "title": "B"},
        {"url": "https://wire.example/c", "title": "C"},
    ]
    path = tmp_path / "in" / "outlets.jsonl"
    path.parent.mkdir()
    path.write_text(
        "\n".join(json.dumps({**r, "text": f"{GOOD_BODY} Item {r['title']}."}) for r in rows) + "\n"
    )
    want = {"A": "Harbour Courier", "B": "Valley Times", "C": "Harbour Courier"}
    with Store.open(tmp_path / "o.db") as store:
        corpus.ingest(store, [path])
        got = dict(store.conn.execute("SELECT title, outlet FROM articles").fetchall())
    assert got == want
    out = tmp_path / "run"
    run(LocalEngine(out / "_work", out, workers=1), [str(path.parent)], RunOptions(quotes=False))
    import pyarrow.parquet as pq

    table = pq.read_table(out / "articles").to_pylist()
    assert {r["title"]: r["outlet"] for r in table} == want
