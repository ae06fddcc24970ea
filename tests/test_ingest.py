"""Readers and cleaning, on texts written for these tests and on the sample corpus."""

import gzip
import json

import pytest

from conftest import SAMPLE
from storytrace.errors import InputError
from storytrace.ingest import load_article, read_path
from storytrace.ingest.dates import parse_date
from storytrace.model import Article, Rejected

SCRAPE = """Monday 09 March 2026
News ID: 4411
Publish Date: 07 March 2026 - 18:45
Harbour cranes fall silent
KESSMOUTH -- Dock workers at Kessmouth stopped work on Saturday, their union said.
The strike is the first at the port in nine years.
Union leader Mara Colt said talks would resume on Monday.
* Comment:
"""


def test_scrape_chrome_moves_into_metadata_without_losing_sentences():
    article = load_article(SCRAPE)
    assert article.published == "2026-03-07T18:45:00"
    assert article.title == "Harbour cranes fall silent"
    assert "News ID: 4411" in article.stripped
    assert "* Comment:" in article.stripped
    for sentence in (
        "Dock workers at Kessmouth stopped work on Saturday",
        "The strike is the first at the port in nine years.",
        "Union leader Mara Colt said talks would resume on Monday.",
    ):
        assert sentence in article.text
    assert "News ID" not in article.text and "Publish Date" not in article.text


def test_text_without_chrome_is_kept_whole():
    text = "A quiet line.\nAnother line that is an ordinary sentence of the article."
    article = load_article(text)
    assert article.stripped == ()
    assert "A quiet line." in article.text + article.title


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("07 April 2021 - 22:02", "2021-04-07T22:02:00"),
        ("2026-03-02T09:40:00+01:00", "2026-03-02T09:40:00+01:00"),
        ("March 3, 2026", "2026-03-03"),
    ],
)
def test_parse_date_gives_iso(raw, iso):
    assert parse_date(raw) == iso


def test_parse_date_rejects_nonsense_and_far_future():
    assert parse_date("not a date") is None
    assert parse_date("2999-01-01") is None


def test_html_sample_gives_title_date_outlet_and_clean_text(truth):
    entry = next(a for a in truth["articles"] if a["path"].endswith(".html"))
    article = load_article(SAMPLE / "corpus" / entry["path"])
    assert article.title == entry["title"]
    assert article.published[:10] == entry["published"][:10]
    assert article.outlet
    assert "<" not in article.text and len(article.text.split()) > 80
    for junk in ("Subscribe", "Cookie", "Most read"):
        assert junk not in article.text


def test_jsonl_records_and_record_picker(truth):
    path = SAMPLE / "corpus" / "meridianwire.example" / "wire.jsonl"
    items = list(read_path(path))
    assert all(isinstance(i, Article) for i in items)
    assert len(items) == sum(a["path"].endswith("wire.jsonl") for a in truth["articles"])
    second = load_article(f"{path}#2")
    assert second.text == items[1].text and second.url == items[1].url


def test_jsonl_bad_lines_are_rejected_with_reasons(tmp_path):
    good = {
        "title": "Bridge reopens",
        "text": "The old bridge over the Sella reopened today after repairs.",
    }
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps(good) + "\n{truncated\n" + json.dumps({"title": "no body"}) + "\n")
    items = list(read_path(path))
    assert sum(isinstance(i, Article) for i in items) == 1
    reasons = [i.reason for i in items if isinstance(i, Rejected)]
    assert len(reasons) == 2 and all(reasons)


def test_csv_and_feed_samples_read_every_record(truth):
    csv_items = list(read_path(SAMPLE / "corpus" / "morningledger.example" / "export.csv"))
    feed_items = list(read_path(SAMPLE / "corpus" / "pulse24.example" / "feed.xml"))
    for items, marker in ((csv_items, "export.csv"), (feed_items, "feed.xml")):
        expected = sum(a["path"].endswith(marker) for a in truth["articles"])
        assert sum(isinstance(i, Article) for i in items) == expected
        assert all(i.published for i in items if isinstance(i, Article))


def test_gzip_and_invalid_utf8_are_read(tmp_path):
    body = "Storm Ferra flooded the harbour at Kessmouth overnight, the coastguard said."
    gz = tmp_path / "story.txt.gz"
    gz.write_bytes(gzip.compress(body.encode()))
    assert load_article(gz).text == body
    latin = tmp_path / "latin.txt"
    latin.write_bytes(
        "Le maire de Torvane a démissionné après l'enquête sur les contrats.".encode("latin-1")
    )
    assert "démissionné" in load_article(latin).text


@pytest.mark.parametrize("make", ["missing", "directory", "binary", "empty", "no_article_html"])
def test_bad_inputs_raise_input_error(tmp_path, make):
    path = tmp_path / "x"
    if make == "directory":
        path.mkdir()
    elif make == "binary":
        path.write_bytes(bytes(range(256)) * 40)
    elif make == "empty":
        path.write_bytes(b"")
    elif make == "no_article_html":
        path = tmp_path / "x.html"
        path.write_text(
            "<html><head><title>Home</title></head><body><nav><a href='/'>Home</a></nav></body></html>"
        )
    with pytest.raises(InputError):
        load_article(path)
