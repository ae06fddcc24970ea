"""Corpus jobs on the sample corpus and on files written for these tests."""

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SAMPLE, analyse_store
from storytrace import corpus
from storytrace.store.db import Store
from storytrace.store.schema import VERSION


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "st.db") as s:
        yield s


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "sample.db"
    with Store.open(path) as s:
        files, bad = corpus.expand_paths([str(SAMPLE / "corpus")])
        assert not bad
        corpus.ingest(s, files)
        analyse_store(s)
    return path


def test_ingest_sample_then_again_adds_nothing(store, truth):
    files, _ = corpus.expand_paths([str(SAMPLE / "corpus")])
    first = corpus.ingest(store, files)
    assert first.added == len(truth["articles"]) and not first.rejected
    again = corpus.ingest(store, files)
    assert again.added == 0 and again.unchanged == len(files)
    assert store.count() == len(truth["articles"])


def test_same_content_from_two_files_is_stored_once(store, tmp_path):
    body = "The ferry to Kessmouth was cancelled on Thursday because of high winds in the bay."
    (tmp_path / "a.txt").write_text(body)
    (tmp_path / "b.txt").write_text(body)
    summary = corpus.ingest(store, [tmp_path / "a.txt", tmp_path / "b.txt"])
    assert (summary.added, summary.duplicates) == (1, 1)


def test_bad_items_are_rejected_with_reasons_and_the_rest_ingests(store, tmp_path):
    good = "The night market in Torvane reopened after repairs to the old square, traders said."
    (tmp_path / "ok.txt").write_text(good)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "broken.txt.gz").write_bytes(gzip.compress(b"some words here")[:12])
    lines = [
        json.dumps(
            {
                "id": "x1",
                "title": "One",
                "text": "First text about the harbour crane being repaired.",
            }
        ),
        '{"id": "x2", "title": "cut off',
        json.dumps(
            {"id": "x1", "title": "One again", "text": "A different text under the same record id."}
        ),
        json.dumps(
            {
                "id": "x3",
                "title": "Future",
                "text": "An article dated far in the future by mistake.",
                "published": "2999-01-01",
            }
        ),
    ]
    (tmp_path / "records.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "nocol.csv").write_text("headline,when\nA title,2026-03-01\n")
    files = sorted(p for p in tmp_path.iterdir() if p.suffix != ".db" and "st.db" not in p.name)
    summary = corpus.ingest(store, files)
    reasons = " | ".join(r for _, r in summary.rejected)
    assert summary.added == 3, reasons  # ok.txt, x1, x3 (its impossible date dropped)
    assert "empty" in reasons
    assert "gzip" in reasons
    assert "invalid JSON on line 2 (Invalid control character at column 31)" in reasons
    assert "record id 'x1' already stored with different text" in reasons
    assert "text" in reasons  # the CSV without a text column
    future = [a for b in store.iter_articles() for a in b if "future" in a.text]
    assert future and future[0].published is None
    assert len(store.rejections()) == len(summary.rejected)


def test_vanished_file_is_a_rejection(store, tmp_path):
    gone = tmp_path / "gone.txt"
    summary = corpus.ingest(store, [gone])
    assert summary.rejected and "cannot read" in summary.rejected[0][1]


def test_store_schema_is_versioned_and_newer_store_is_refused(tmp_path):
    path = tmp_path / "v.db"
    with Store.open(path) as s:
        assert s.schema_version == VERSION
        s.conn.execute(f"PRAGMA user_version={VERSION + 1}")
    from storytrace.errors import StoreError

    with pytest.raises(StoreError, match="newer"):
        Store.open(path)


def test_dedup_groups_wire_copies_with_earliest_canonical(sample_store, truth):
    with Store.open(sample_store) as s:
        groups = s.dup_groups()
        assert groups
        for rows in groups.values():
            dates = [r.published or "~" for r in rows]
            canonical = rows[0].canonical
            assert rows[0].article_id == canonical and dates[0] == min(dates)
            assert len({r.outlet for r in rows}) >= 1


def test_dedup_finds_the_wire_copies_whatever_their_typography(sample_store, truth):
    """The sample's wire copies change a few words and often the quote marks and dashes
    (one outlet types “ ” and —, another " and -); the typography is no edit."""
    with Store.open(sample_store) as s:
        group_of = {m.article_id: g for g, rows in s.dup_groups().items() for m in rows}
        id_of = {}
        for batch in s.iter_articles():
            for a in batch:
                for entry in truth["articles"]:
                    if (entry["url"] and a.url == entry["url"]) or (
                        not entry["url"] and a.source and a.source.endswith(entry["path"])
                    ):
                        id_of[entry["key"]] = a.id
    copies = [e for e in truth["articles"] if e["origin"] == "wire-copy"]
    grouped = [
        e
        for e in copies
        if group_of.get(id_of[e["key"]]) is not None
        and group_of.get(id_of[e["key"]]) == group_of.get(id_of[e["based_on"]])
    ]
    assert len(copies) == 12 and len(grouped) >= 10, [e["key"] for e in copies if e not in grouped]
    rewrites = [e for e in truth["articles"] if e["origin"] == "rewrite"]
    assert not any(group_of.get(id_of[e["key"]]) for e in rewrites)  # a rewrite is no copy


def test_reuse_direction_is_earlier_to_later(sample_store, truth):
    with Store.open(sample_store) as s:
        passages = s.passages()
        assert passages
        for p in passages:
            assert (p.a_published or "~") <= (p.b_published or "~")
        flows = {(p.a_outlet, p.b_outlet) for p in passages}
        assert ("Meridian Wire", "The Harbor Tribune") in flows


def test_reuse_recovers_truth_passages(sample_store, truth):
    """Most reused passages listed in the truth file are found between the right articles."""
    import re

    def norm(t):
        return set(re.sub(r"\W+", " ", t.lower()).split())

    with Store.open(sample_store) as s:
        found = [(norm(p.a_text), norm(p.b_text)) for p in s.passages()]
    verbatim = [r for r in truth["reuse"] if r["kind"] in ("verbatim", "near-verbatim")]
    hits = sum(
        any(len(norm(r["source_text"]) & a) >= 0.8 * len(norm(r["source_text"])) for a, _ in found)
        for r in verbatim
    )
    assert hits >= 0.8 * len(verbatim), (hits, len(verbatim))


def test_stories_match_truth(sample_store, truth):
    with Store.open(sample_store) as s:
        stories = s.stories()
        by_url = {}
        for batch in s.iter_articles():
            for a in batch:
                by_url[a.id] = a
    gold = {}
    for entry in truth["articles"]:
        for aid, art in by_url.items():
            if (entry["url"] and art.url == entry["url"]) or (
                not entry["url"] and art.source and art.source.endswith(entry["path"])
            ):
                gold[aid] = entry["story"]
    assert len(gold) == len(truth["articles"])
    pred = {a: s.id for s in stories for a in s.article_ids}
    ids = list(gold)
    p = sum(
        len({j for j in ids if pred[j] == pred[i]} & {j for j in ids if gold[j] == gold[i]})
        / len({j for j in ids if pred[j] == pred[i]})
        for i in ids
    ) / len(ids)
    r = sum(
        len({j for j in ids if pred[j] == pred[i]} & {j for j in ids if gold[j] == gold[i]})
        / len({j for j in ids if gold[j] == gold[i]})
        for i in ids
    ) / len(ids)
    assert 2 * p * r / (p + r) >= 0.9, (p, r)
    # the two floods are separate stories
    floods = {pred[a] for a, st in gold.items() if st.startswith("flood-")}
    assert len(floods) >= 2


def test_stories_are_deterministic(sample_store):
    with Store.open(sample_store) as s:
        before = [(x.id, x.article_ids) for x in s.stories()]
        analyse_store(s, ("stories",))
        assert [(x.id, x.article_ids) for x in s.stories()] == before
        members, outlets = s._members_by_join()  # what a join over the articles says
        for story in s.stories():
            assert list(story.article_ids) == members[story.id]  # by publication time
            assert list(story.outlets) == outlets[story.id]


def test_interrupted_analyse_keeps_every_previous_result(sample_store, monkeypatch):
    """Results are written in one transaction: a failure while writing keeps the old ones."""

    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    with Store.open(sample_store) as s:
        before = ([(x.id, x.article_ids, x.outlets) for x in s.stories()], s.count("passages"))
        assert before[0]
        monkeypatch.setattr(Store, "replace_story_rows", fail)
        with pytest.raises(KeyboardInterrupt):
            analyse_store(s, ("dedup", "reuse", "stories"))
        assert (
            [(x.id, x.article_ids, x.outlets) for x in s.stories()],
            s.count("passages"),
        ) == before


def test_engine_pool_gives_same_signatures_as_in_process():
    from storytrace.dedup import sign_batch
    from storytrace.engine import run_stage

    batches = [
        [(f"d{i}-{j}", f"text number {i} {j} about harbour cranes and ferries") for j in range(20)]
        for i in range(6)
    ]
    local = list(run_stage(sign_batch, batches, workers=1))
    pooled = list(run_stage(sign_batch, batches, workers=2))
    assert local == pooled


def _start_ingest(target, db):
    return subprocess.Popen(
        [sys.executable, "-m", "storytrace.cli", "ingest", str(target), "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_until_stored(proc, db, count, each_tick=lambda: None):
    """Poll the store a running ingest writes until it holds more than ``count`` articles."""
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
        each_tick()
        if not db.exists():
            continue
        try:
            with Store.open(db) as s:
                if s.count() > count:
                    return
        except Exception:
            continue


def test_kill_during_ingest_loses_nothing_and_resume_completes(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(400):
        (folder / f"a{i:04d}.txt").write_text(
            f"Report {i}: the council of town {i} met on Monday and voted {i} to {i + 3} on the budget.\n"
            f"Residents of town {i} said the vote number {i} came late."
        )
    db = tmp_path / "kill.db"
    proc = _start_ingest(folder, db)
    _wait_until_stored(proc, db, 20)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Store.open(db) as s:
        partial = s.count()
        assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # every stored article is whole
        for batch in s.iter_articles():
            for a in batch:
                assert a.text.endswith("came late.")
    done = subprocess.run(
        [sys.executable, "-m", "storytrace.cli", "ingest", str(folder), "--db", str(db)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with Store.open(db) as s:
        assert s.count() == 400 >= partial


def test_cli_corpus_commands(cli, tmp_path):
    db = tmp_path / "cli.db"
    assert cli("ingest", SAMPLE / "corpus", "--db", db, "--json").code == 0
    analysed = cli("analyse", "--db", db, "--no-embed", "--no-quotes")
    assert analysed.code == 0, analysed.err
    listed = cli("stories", "--db", db, "--json")
    stories = listed.json()
    assert len(stories) >= 6 and all(s["article_ids"] for s in stories)
    one = cli(
        "story", stories[0]["id"][:6], "--db", db, "--json", "--html", tmp_path / "story.html"
    )
    assert one.code == 0, one.err
    view = one.json()
    assert view["first"]["published"] == min(
        t["published"] for t in view["timeline"] if t["published"]
    )
    assert (tmp_path / "story.html").exists()
    flows = cli("outlets", "--db", db, "--json").json()
    assert flows and all(f["passages"] > 0 for f in flows)
    assert "digraph" in cli("outlets", "--db", db, "--dot").out
    groups = cli("dedup", "--db", db, "--json", "--keep-list", tmp_path / "keep.txt").json()
    keep = (tmp_path / "keep.txt").read_text().split()
    dropped = sum(len(g["members"]) - 1 for g in groups["groups"])
    assert len(keep) == 48 - dropped
    for fmt in ("jsonl", "csv", "parquet"):
        out = tmp_path / f"articles.{fmt}"
        r = cli("export", "--db", db, "--format", fmt, "--table", "articles", "--out", out)
        assert r.code == 0, r.err
        assert out.stat().st_size > 0
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "articles.parquet").num_rows == 48
    assert len((tmp_path / "articles.jsonl").read_text().splitlines()) == 48


_BRIDGE = (
    "The old stone bridge over the River Alder in Pellham was closed on Thursday after engineers"
    " found a crack running through its central arch, the county council said. Buses will take a"
    " twelve-mile detour through Wexley until a temporary crossing is built, which could take six"
    " weeks. The bridge, finished in 1821, carries about nine thousand vehicles a day and was last"
    " repaired in 1998. Shopkeepers on the high street said they feared losing trade during the"
    " busy spring season, and the chamber of commerce asked for parking charges to be waived."
)


def test_outlet_graph_has_no_unknown_or_self_edges(tmp_path):
    from collections import Counter

    from storytrace.report.story import outlet_flows

    records = [
        ("Alder Wire", "2026-04-01T08:00:00", _BRIDGE),
        ("Alder Wire", "2026-04-01T12:00:00", _BRIDGE + " Updated with the detour route."),
        (None, "2026-04-02T09:00:00", "From our reporter. " + _BRIDGE),
        ("Pellham Post", "2026-04-02T10:00:00", _BRIDGE + " Readers can send us photographs."),
    ]
    lines = [
        json.dumps({"id": f"r{n}", "title": "Bridge shut", "outlet": o, "published": d, "text": t})
        for n, (o, d, t) in enumerate(records)
    ]
    (tmp_path / "bridge.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Store.open(tmp_path / "b.db") as store:
        files, _ = corpus.expand_paths([str(tmp_path / "bridge.jsonl")])
        corpus.ingest(store, files)
        analyse_store(store, run=("dedup", "reuse"))
        left_out: Counter[str] = Counter()
        flows = outlet_flows(store, left_out)
        passages = len(store.passages())
    assert flows, "the wire's text taken by the Post is an edge"
    assert all(f["from"] and f["to"] and f["from"] != f["to"] for f in flows)
    assert {(f["from"], f["to"]) for f in flows} == {("Alder Wire", "Pellham Post")}
    assert left_out["same outlet"] > 0 and left_out["unknown outlet"] > 0
    assert sum(f["passages"] for f in flows) + sum(left_out.values()) == passages


def test_cli_missing_db_is_one_line(cli, tmp_path):
    r = cli("stories", "--db", tmp_path / "none.db")
    assert r.code == 2 and "Traceback" not in r.err and len(r.err.strip().splitlines()) == 1


def _warc(path, pages, corrupt_tail=False):
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, html in pages:
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            writer.write_record(
                writer.create_warc_record(
                    url, "response", payload=BytesIO(html.encode()), http_headers=headers
                )
            )
    if corrupt_tail:
        with path.open("ab") as fh:
            fh.write(b"\x1f\x8b\x08\x00garbage that is not a gzip member")


def test_warc_html_responses_become_articles(store, tmp_path):
    body = " ".join(
        f"Sentence {i} of the report says the Lisker ferry service resumed after the storm."
        for i in range(12)
    )
    page = f"<html><head><title>Ferries resume</title></head><body><article><h1>Ferries resume</h1><p>{body}</p></article></body></html>"
    empty = "<html><body><nav>Home</nav></body></html>"
    path = tmp_path / "crawl.warc.gz"
    _warc(
        path,
        [
            ("https://www.lisker-news.example/ferries", page),
            ("https://www.lisker-news.example/", empty),
        ],
        corrupt_tail=True,
    )
    summary = corpus.ingest(store, [path])
    assert summary.added == 1
    (article,) = [a for b in store.iter_articles() for a in b]
    assert article.url == "https://www.lisker-news.example/ferries" and article.outlet
    reasons = [r for _, r in summary.rejected]
    assert any("no article text" in r for r in reasons)
    assert any("corrupt" in r for r in reasons)


def test_story_view_shows_labels_per_outlet(tmp_path):
    from storytrace.report.story import story_view

    with Store.open(tmp_path / "labels.db") as s:
        files, _ = corpus.expand_paths([str(SAMPLE / "corpus")])
        corpus.ingest(s, files)
        analyse_store(s, ("stories", "quotes"))
        biggest = s.stories()[0]
        view = story_view(s, biggest.id)
    assert view["speakers"] and view["labels"]
    assert any(len(e["outlets"]) >= 2 and any(e["outlets"].values()) for e in view["labels"])


def test_dedup_with_another_threshold_regroups(store, tmp_path):
    base = " ".join(f"word{i} harbour crane ferry storm {i % 7}" for i in range(60))
    (tmp_path / "a.txt").write_text(base)
    (tmp_path / "b.txt").write_text(
        base.replace("word10 ", "changed ", 1).replace("word30 ", "", 1)
    )
    corpus.ingest(store, [tmp_path / "a.txt", tmp_path / "b.txt"])
    assert analyse_store(store, ("dedup",), threshold=0.7).groups == 1
    assert analyse_store(store, ("dedup",), threshold=0.7).groups == 1
    assert analyse_store(store, ("dedup",), threshold=0.99).groups == 0


def test_minhash_estimates_jaccard():
    import random

    from storytrace.dedup import jaccard, signatures

    rng = random.Random(3)
    words = [f"w{rng.randrange(5000)}" for _ in range(400)]
    errors = []
    for edits in (5, 20, 60):
        other = list(words)
        for i in rng.sample(range(400), edits):
            other[i] = f"x{i}"
        a = {" ".join(words[i : i + 5]) for i in range(396)}
        b = {" ".join(other[i : i + 5]) for i in range(396)}
        sig = signatures([" ".join(words), " ".join(other)])
        errors.append(abs(jaccard(sig[0], sig[1]) - len(a & b) / len(a | b)))
    assert max(errors) < 0.15
    unrelated = signatures([" ".join(words), " ".join(reversed(words))])
    assert jaccard(unrelated[0], unrelated[1]) < 0.1


def test_truncated_gzip_jsonl_keeps_the_records_before_the_damage(store, tmp_path):
    lines = "".join(
        json.dumps({"id": f"r{i}", "title": f"Story {i}", "text": f"Body number {i} " * 40}) + "\n"
        for i in range(300)
    ).encode()
    packed = gzip.compress(lines)
    (tmp_path / "feed.jsonl.gz").write_bytes(packed[: len(packed) * 2 // 3])
    summary = corpus.ingest(store, [tmp_path / "feed.jsonl.gz"])
    assert 0 < summary.added < 300
    assert any("gzip" in reason for _, reason in summary.rejected)
    assert summary.failed


def test_jsonl_lines_in_cp1252_are_read_not_refused(store, tmp_path):
    good = json.dumps(
        {"title": "Caf\u00e9 fire", "text": "A fire closed the caf\u00e9 on Main Street."}
    )
    bad = '{"title": "Na\u00efve plan", "text": "The na\u00efve plan failed on Tuesday."}'
    (tmp_path / "mixed.jsonl").write_bytes(good.encode() + b"\n" + bad.encode("cp1252") + b"\n")
    summary = corpus.ingest(store, [tmp_path / "mixed.jsonl"])
    assert summary.added == 2
    texts = {a.title for batch in store.iter_articles() for a in batch}
    assert "Na\u00efve plan" in texts


def test_analysing_in_steps_finds_what_analysing_at_once_finds(tmp_path, sample_store):
    """Ingest part, analyse, ingest the rest, analyse: the same groups, pairs and stories,
    and a near-copy added later joins its original's group and is aligned with it."""
    files, _ = corpus.expand_paths([str(SAMPLE / "corpus")])
    with Store.open(tmp_path / "steps.db") as steps:
        corpus.ingest(steps, files[:4])
        analyse_store(steps)
        corpus.ingest(steps, files[4:])
        analyse_store(steps)
        first_id = steps.conn.execute("SELECT id FROM articles").fetchone()[0]
        extra = tmp_path / "extra.txt"
        extra.write_text(steps.article(first_id).text + " This report was updated.")
        corpus.ingest(steps, [extra])
        summary = analyse_store(steps)
        got_groups = {frozenset(m.article_id for m in rows) for rows in steps.dup_groups().values()}
        got_pairs = set(steps.conn.execute("SELECT a_id, b_id FROM aligned_pairs").fetchall())
        extra_id = steps.conn.execute("SELECT id FROM articles ORDER BY rowid DESC").fetchone()[0]
        got_stories = {frozenset(s.article_ids) - {extra_id} for s in steps.stories()}
    with Store.open(sample_store) as whole:
        want_groups = {
            frozenset(m.article_id for m in rows) for rows in whole.dup_groups().values()
        }
        want_pairs = set(whole.conn.execute("SELECT a_id, b_id FROM aligned_pairs").fetchall())
        want_stories = {frozenset(s.article_ids) for s in whole.stories()}
    assert summary.passages_new > 0  # only the new pairs were aligned on the last run
    assert any(extra_id in g for g in got_groups)
    assert {g - {extra_id} for g in got_groups} - {frozenset()} >= want_groups
    assert {p for p in got_pairs if extra_id not in p} == want_pairs
    assert got_stories - {frozenset()} == want_stories


def _jsonl_lines(count):
    rows = []
    for i in range(count):
        body = (
            f"Item {i}: the harbour board in Kessmouth met on day {i} and approved berth {i}. " * 6
        )
        rows.append(json.dumps({"id": f"r{i}", "title": f"Berth {i}", "text": body}))
        if i % 97 == 5:
            rows.append('{"id": "broken", "text": ')  # a damaged line among good ones
    return "\n".join(rows) + "\n"


def test_jsonl_parsed_in_a_pool_matches_one_process(tmp_path):
    from storytrace.ingest import read_path

    path = tmp_path / "big.jsonl"
    path.write_text(_jsonl_lines(700))
    alone = list(read_path(path, workers=1))
    pooled = list(read_path(path, workers=2))
    assert len(alone) == 708 and pooled == alone  # same records, rejections, order


def test_pooled_jsonl_with_a_damaged_gzip_tail_keeps_what_came_before(tmp_path):
    from storytrace.errors import InputError
    from storytrace.ingest import read_path

    packed = gzip.compress(_jsonl_lines(1500).encode())
    path = tmp_path / "big.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])
    results = {}
    for workers in (1, 2):
        got = []
        with pytest.raises(InputError, match="gzip"):
            for item in read_path(path, workers=workers):
                got.append(item)
        results[workers] = got
    assert 0 < len(results[1]) < 1500 and results[2] == results[1]


def _children(pid):
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _alive(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_kill_during_pooled_jsonl_ingest_leaves_no_workers_and_resumes(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text(_jsonl_lines(9000))
    assert path.stat().st_size >= corpus.POOL_MIN_BYTES  # parsed in a pool
    db = tmp_path / "kill.db"
    proc = _start_ingest(path, db)
    workers = []

    def note_workers() -> None:
        nonlocal workers
        workers = workers or _children(proc.pid)

    _wait_until_stored(proc, db, 400, note_workers)
    assert proc.poll() is None and workers, "ingest finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10
    while time.time() < deadline and any(map(_alive, workers)):
        time.sleep(0.2)
    assert not any(map(_alive, workers))  # the pool went down with its parent
    with Store.open(db) as s:
        assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    summary = subprocess.run(
        [sys.executable, "-m", "storytrace.cli", "ingest", str(path), "--db", str(db)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert summary.returncode == 1, summary.stderr  # the broken lines are reported again
    with Store.open(db) as s:
        assert s.count() == 9000
