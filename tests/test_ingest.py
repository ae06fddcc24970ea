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


_BODY = (
    "<p>The ferry between Kessmouth and Torvane Island stopped running on Tuesday after a "
    "crack was found in the hull of its only boat, the harbour office said.</p>"
    "<p>Islanders were told the repair would take at least two weeks, and a smaller boat "
    "will carry medicine and post in the meantime, according to the council.</p>"
)


def _page(head: str, body: str) -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


def test_xhtml_page_with_encoding_declaration_is_parsed(tmp_path):
    from storytrace.ingest.html import fragment_text, parse_html

    page = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml">'
        "<head><title>Ferry halted after hull crack - Kessmouth Courier</title>"
        '<meta property="og:site_name" content="Kessmouth Courier" /></head>'
        f"<body><article><h1>Ferry halted after hull crack</h1>{_BODY}</article></body></html>"
    )
    article = parse_html(page)
    assert article.title == "Ferry halted after hull crack"
    assert "crack was found in the hull" in article.text
    assert article.outlet == "Kessmouth Courier"
    path = tmp_path / "ferry.html"
    path.write_text(page, encoding="latin-1")
    assert load_article(path).title == "Ferry halted after hull crack"
    assert fragment_text('<?xml version="1.0" encoding="UTF-8"?><p>One</p><p>Two</p>') == (
        "One\nTwo"
    )
    # A broken page whose declaration is never closed and runs into a meta tag.
    broken = page.replace('encoding="ISO-8859-1"?>', 'encoding="harbour, ferry" />', 1)
    assert parse_html(broken).title == "Ferry halted after hull crack"


@pytest.mark.parametrize("markup", ["", "   ", '<?xml version="1.0" encoding="utf-8"?>'])
def test_empty_html_is_an_input_error(markup):
    from storytrace.ingest.html import parse_html

    with pytest.raises(InputError):
        parse_html(markup)


def test_blog_title_is_the_post_not_the_blog_name():
    """The blog's name is the only h1; the post title is an h2 that <title> repeats."""
    from storytrace.ingest.html import parse_html

    page = _page(
        "<title>Notes from the Quay | Ferry halted after hull crack</title>",
        "<div id='header'><h1>Notes from the Quay</h1></div>"
        f"<div class='post'><h2>Ferry halted after hull crack</h2>{_BODY}</div>",
    )
    assert parse_html(page).title == "Ferry halted after hull crack"


def test_title_takes_the_heading_wording_over_a_cut_breadcrumb_title():
    from storytrace.ingest.html import parse_html

    page = _page(
        "<title>Courier &gt; News &gt; Island &gt; Ferry halted after hull cr</title>",
        f"<h1>Island</h1><div><h1>Ferry halted after hull crack</h1>{_BODY}</div>",
    )
    article = parse_html(page)
    assert article.title == "Ferry halted after hull crack"
    assert "Ferry halted" not in article.text


def test_declared_title_that_is_only_the_site_name_is_passed_over():
    from storytrace.ingest.html import parse_html

    page = _page(
        '<meta property="og:title" content="Kessmouth Courier">'
        '<meta property="og:site_name" content="Kessmouth Courier">'
        "<title>Ferry halted after hull crack - Kessmouth Courier</title>",
        f"<h1>Kessmouth Courier</h1><article>{_BODY}</article>",
    )
    article = parse_html(page)
    assert article.title == "Ferry halted after hull crack"
    assert article.outlet == "Kessmouth Courier"


def test_headline_kept_when_title_comes_from_the_page_title_alone():
    """A <title> with only the site and the headline gives the headline, not the site."""
    from storytrace.ingest.html import parse_html

    page = _page(
        "<title>Kessmouth Courier :: Ferry halted after hull crack</title>",
        f"<div>{_BODY}</div>",
    )
    assert parse_html(page, source="kessmouthcourier.example/ferry.html").title == (
        "Ferry halted after hull crack"
    )


def test_authors_and_section_come_from_the_page_declarations():
    """JSON-LD authors (a list of Persons) and the declared section, with no trafilatura
    metadata pass: the section label above the headline leaves the text."""
    from storytrace.ingest.html import parse_html

    ld = {
        "@type": "NewsArticle",
        "headline": "Ferry halted after hull crack",
        "author": [{"@type": "Person", "name": "Ines  Marlow"}, {"name": "Rafe Tolland"}],
        "articleSection": "Island",
    }
    page = _page(
        f'<script type="application/ld+json">{json.dumps(ld)}</script>',
        f"<article><p>Island</p><h1>Ferry halted after hull crack</h1>{_BODY}</article>",
    )
    article = parse_html(page)
    assert article.authors == ("Ines Marlow", "Rafe Tolland")
    assert article.title == "Ferry halted after hull crack"
    assert not article.text.startswith("Island")


def test_html_comments_are_not_article_text():
    from storytrace.ingest.html import parse_html

    page = _page(
        "<title>Ferry halted after hull crack</title>",
        f"<article><!-- AD SLOT begin --><h1>Ferry halted after hull crack</h1>{_BODY}"
        "<!-- AD SLOT end --></article>",
    )
    assert "AD SLOT" not in parse_html(page).text
