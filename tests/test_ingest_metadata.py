"""Metadata the files do not carry: the command line's, and the sidecar beside the files.

Field by field the record wins, then its sidecar row, then the command line, then guesses
(an outlet that is only a domain); ingest, run and load_article all go through read_path.
"""

import json

import pytest

from storytrace import corpus
from storytrace.errors import InputError
from storytrace.ingest import SIDECAR, Metadata, load_article
from storytrace.ingest.paths import expand_paths
from storytrace.store.db import Store

_TEXT = (
    "The ferry between Holm and the mainland was cancelled on Friday after a storm damaged"
    " the pier at Holm harbour, the operator said. Engineers will inspect the pier on Monday."
    " Islanders were told to expect delays to deliveries of food and fuel for at least a week."
)


def _folder(tmp_path, sidecar: str | None = None):
    """A domain-named folder of two plain texts and a JSONL record naming its outlet."""
    folder = tmp_path / "holmnews.example"
    folder.mkdir()
    (folder / "ferry.txt").write_text(_TEXT + "\n", encoding="utf-8")
    (folder / "pier.txt").write_text(_TEXT.replace("Friday", "Saturday") + "\n")
    record = {"title": "Ferry off", "outlet": "Island Radio", "text": _TEXT + " Radio report."}
    (folder / "radio.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    if sidecar is not None:
        (folder / SIDECAR).write_text(sidecar, encoding="utf-8")
    return folder


_SIDECAR = (
    "file,outlet,published,title,url\n"
    "ferry.txt,Holm Gazette,2026-02-06,Storm cancels Holm ferry,https://holm.example/ferry\n"
    "radio.jsonl,Holm Gazette,2026-02-07,,\n"
)


def test_sidecar_fills_what_a_file_lacks_and_beats_a_guessed_outlet(tmp_path):
    folder = _folder(tmp_path, _SIDECAR)
    ferry = load_article(folder / "ferry.txt")
    assert (ferry.outlet, ferry.published, ferry.title) == (
        "Holm Gazette",  # not the folder's domain, which was only a guess
        "2026-02-06",
        "Storm cancels Holm ferry",
    )
    assert ferry.url == "https://holm.example/ferry"
    radio = load_article(folder / "radio.jsonl")
    assert radio.outlet == "Island Radio"  # what the record says stays
    assert radio.title == "Ferry off"
    assert radio.published == "2026-02-07"  # what it does not say comes from the sidecar


def test_command_line_fills_what_neither_file_nor_sidecar_says(tmp_path):
    folder = _folder(tmp_path, _SIDECAR)
    given = Metadata.given("Island Wire", "2026-02-08T10:30", "Holm report", None)
    ferry = load_article(folder / "ferry.txt", metadata=given)
    assert (ferry.outlet, ferry.published) == ("Holm Gazette", "2026-02-06")  # sidecar first
    pier = load_article(folder / "pier.txt", metadata=given)  # no sidecar row
    assert (pier.outlet, pier.published, pier.title) == (
        "Island Wire",
        "2026-02-08T10:30:00",
        "Holm report",
    )
    text = load_article(_TEXT, metadata=given)  # raw text: no file, no sidecar
    assert text.outlet == "Island Wire"


@pytest.mark.parametrize("bad", ["07/04/2026", "yesterday", "2999-01-01"])
def test_a_typed_date_must_be_iso(bad):
    with pytest.raises(InputError, match=r"--b-published .*ISO 8601"):
        Metadata.given(published=bad, where="--b-published")


@pytest.mark.parametrize(
    ("sidecar", "reason"),
    [
        ("file,outlett\nferry.txt,Holm Gazette\n", "unknown column outlett"),
        ("name,outlet\nferry.txt,Holm Gazette\n", "no file column"),
        ("file,published\nferry.txt,6 Feb\n", "row 2: published '6 Feb'"),
        ("file,outlet\nferry.txt,A\nferry.txt,B\n", "row 3: ferry.txt is listed twice"),
    ],
)
def test_a_bad_sidecar_refuses_its_files_with_the_reason(tmp_path, sidecar, reason):
    folder = _folder(tmp_path, sidecar)
    with pytest.raises(InputError, match=reason):
        load_article(folder / "ferry.txt")
    with Store.open(tmp_path / "s.db") as store:
        files, bad = expand_paths([str(folder)])
        summary = corpus.ingest(store, files)
    assert not bad and len(files) == 3  # the sidecar itself is no input
    assert len(summary.rejected) == 3 and all(reason in r for _, r in summary.rejected)


def test_ingest_applies_sidecar_and_options_and_skips_the_sidecar(tmp_path):
    folder = _folder(tmp_path, _SIDECAR)
    with Store.open(tmp_path / "s.db") as store:
        files, _ = expand_paths([str(folder)])
        assert sorted(f.name for f in files) == ["ferry.txt", "pier.txt", "radio.jsonl"]
        summary = corpus.ingest(store, files, metadata=Metadata.given(published="2026-02-09"))
        assert summary.added == 3 and not summary.rejected
        rows = store.meta_of(store.article_ids())
    by_title = {r.title: r for r in rows.values()}
    assert by_title["Storm cancels Holm ferry"].outlet == "Holm Gazette"
    assert by_title["Ferry off"].outlet == "Island Radio"
    assert by_title["Ferry off"].published == "2026-02-07"
    pier = next(
        r for r in rows.values() if r.title not in ("Storm cancels Holm ferry", "Ferry off")
    )
    assert pier.published == "2026-02-09"  # the command line, where the sidecar is silent
    _, refused = expand_paths([str(folder / SIDECAR)])
    assert refused and "metadata" in refused[0][1]


def test_run_reads_the_sidecar_as_ingest_does(tmp_path):
    import pyarrow.parquet as pq

    from storytrace.engine.local import LocalEngine
    from storytrace.ingest.stage import ReadOptions
    from storytrace.pipeline.jobs import RunOptions
    from storytrace.pipeline.run import run

    folder = _folder(tmp_path, _SIDECAR)
    out = tmp_path / "out"
    options = RunOptions(
        read=ReadOptions(metadata=Metadata.given(outlet="Island Wire")), quotes=False
    )
    run(LocalEngine(out / "_work", out, workers=1), [str(folder)], options)
    rows = pq.read_table(out / "articles").to_pylist()
    outlets = sorted(r["outlet"] for r in rows)
    assert outlets == ["Holm Gazette", "Island Radio", "Island Wire"]
    assert {r["published"] for r in rows if r["outlet"] == "Holm Gazette"} == {"2026-02-06"}
