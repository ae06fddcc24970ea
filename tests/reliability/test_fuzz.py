"""Property-based fuzzing of every reader: whatever the bytes, a reader yields Articles or
Rejected records, or refuses the whole file with an InputError. Nothing else escapes.

The examples are bounded (a few hundred per reader, small inputs) so the suite stays quick;
hypothesis keeps the failing examples it finds in its database, so a bug found once is
tried first on the next run.
"""

from __future__ import annotations

import gzip
import json
import string
from pathlib import Path

from hostile import sample_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storytrace import corpus
from storytrace.errors import InputError
from storytrace.ingest import FieldMap, Limits, read_path
from storytrace.ingest.records import read_csv, read_jsonl, record_to_article
from storytrace.model import Article, Rejected

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SMALL = Limits(max_record_bytes=64 << 10, max_whole_file_bytes=256 << 10)
SUFFIXES = [
    ".txt",
    ".html",
    ".json",
    ".jsonl",
    ".csv",
    ".xml",
    ".warc",
    ".warc.gz",
    ".jsonl.gz",
    "",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=60),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=25,
)
field_names = st.sampled_from(
    [
        "text",
        "body",
        "title",
        "url",
        "link",
        "published",
        "date",
        "outlet",
        "source",
        "authors",
        "id",
        "lang",
    ]
)
records = st.dictionaries(field_names, json_values, max_size=8)


def _only_records(items) -> None:
    for item in items:
        assert isinstance(item, Article | Rejected), item
        if isinstance(item, Rejected):
            assert item.reason and isinstance(item.reason, str)
        else:
            assert item.text.strip()
            item.text.encode("utf-8")  # storable


def _read(path: Path) -> None:
    try:
        _only_records(read_path(path, limits=SMALL))
    except InputError as exc:
        assert str(exc)


@FUZZ
@given(data=st.binary(max_size=4096), suffix=st.sampled_from(SUFFIXES))
def test_any_bytes_under_any_name(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("fuzz") / f"input{suffix}"
    if suffix.endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    _read(path)


@FUZZ
@given(data=st.data())
def test_a_good_file_with_bytes_flipped(tmp_path_factory, data):
    raw = bytearray(sample_bytes())
    for _ in range(data.draw(st.integers(1, 12))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    packed = data.draw(st.booleans())
    path = tmp_path_factory.mktemp("flip") / ("a.jsonl.gz" if packed else "a.jsonl")
    body = bytes(raw)
    if packed:
        body = gzip.compress(body)
        cut = data.draw(st.integers(0, len(body)))
        body = body[:cut]
    path.write_bytes(body)
    _read(path)


@FUZZ
@given(record=st.one_of(records, json_values))
def test_any_json_record(record):
    items = list(read_jsonl([json.dumps(record).encode()], "fuzz.jsonl", FieldMap(), 1, SMALL))
    _only_records(items)
    assert len(items) == 1


@FUZZ
@given(record=records)
def test_record_fields_of_any_type_map_or_are_refused(record):
    item = record_to_article(record, "fuzz")
    assert isinstance(item, Article | Rejected)


@FUZZ
@given(
    text=st.text(
        alphabet=st.sampled_from([*string.printable, '"', "\x00", "é", "\u2028"]),
        max_size=600,
    )
)
def test_any_csv_text(text):
    _only_records(read_csv("title,text\n" + text, "fuzz.csv", limits=SMALL))


tags = st.sampled_from(["p", "div", "script", "style", "article", "h1", "title", "meta", "a", "br"])
html_parts = st.lists(
    st.one_of(
        st.text(max_size=40),
        tags.map(lambda t: f"<{t}>"),
        tags.map(lambda t: f"</{t}>"),
        st.just("<meta charset='koi8-r'>"),
        st.just('<meta property="article:published_time" content="2026-13-45">'),
        st.just("<![CDATA["),
        st.just("<!--"),
    ),
    max_size=60,
)


@FUZZ
@given(parts=html_parts)
def test_any_html_page(tmp_path_factory, parts):
    path = tmp_path_factory.mktemp("html") / "page.html"
    path.write_text("<html><body>" + "".join(parts), encoding="utf-8")
    _read(path)


@FUZZ
@given(parts=st.lists(st.text(max_size=40), max_size=20), raw=st.binary(max_size=300))
def test_any_feed_or_warc(tmp_path_factory, parts, raw):
    folder = tmp_path_factory.mktemp("feed")
    feed = folder / "feed.xml"
    items = "".join(
        f"<item><title>{p}</title><description>{p * 3}</description></item>" for p in parts
    )
    feed.write_bytes(f"<rss><channel><title>t</title>{items}</channel></rss>".encode() + raw)
    _read(feed)
    warc = folder / "crawl.warc"
    warc.write_bytes(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 40\r\n\r\n" + raw)
    _read(warc)


@FUZZ
@given(data=st.binary(max_size=2048), suffix=st.sampled_from(SUFFIXES))
def test_ingest_never_raises_for_any_file(tmp_path_factory, data, suffix):
    from storytrace.store.db import Store

    folder = tmp_path_factory.mktemp("ingest")
    path = folder / f"input{suffix}"
    path.write_bytes(data)
    with Store.open(folder / "fuzz.db") as store:
        summary = corpus.ingest(store, [path], limits=SMALL)
        assert summary.added + len(summary.rejected) + summary.duplicates >= 1
