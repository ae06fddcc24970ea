"""What a newcomer meets on the pages: words for missing metadata, the comparison's legend,
sections and marked edits, statements grouped by speaker, the reuse graph's loose outlets.

The store is the sample corpus plus two copies of one wire story: one from an outlet with a
very long name, one with no outlet, title or date. Browser checks of the layout live in
``test_page_layout.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import SAMPLE, analyse_store
from storytrace import corpus
from storytrace.model import DiffOp, Passage
from storytrace.report.words import UNDATED, UNKNOWN_OUTLET, UNTITLED
from storytrace.store.db import Store

# no space or hyphen to break at: the name must wrap inside its lane, not run over the dates
LONG_OUTLET = "northerncountieseveningchronicleandweeklyadvertiser.example"


def odd_records(folder: Path) -> Path:
    """Two copies of the sample's Valdora wire story: a long outlet name, and no metadata."""
    wire = (SAMPLE / "corpus" / "meridianwire.example" / "wire.jsonl").read_text("utf-8")
    text = json.loads(wire.splitlines()[1])["text"]
    records = [
        {
            "outlet": LONG_OUTLET,
            "title": "Valdora floods: river bursts its banks",
            "published": "2026-03-03T12:00:00+01:00",
            "url": "https://chronicle.example/valdora",
            "text": text + "\n\nThis report was compiled from agency copy.",
        },
        {"text": text.replace("2,500", "about 2,600") + "\n\nMore follows."},
    ]
    path = folder / "odd.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def build_pages_db(folder: Path) -> Path:
    db = folder / "pages.db"
    with Store.open(db) as store:
        files, _ = corpus.expand_paths([str(SAMPLE / "corpus"), str(odd_records(folder))])
        corpus.ingest(store, files)
        analyse_store(store, ("dedup", "reuse", "stories", "quotes"))
    return db


@pytest.fixture(scope="module")
def pages_db(tmp_path_factory) -> Path:
    return build_pages_db(tmp_path_factory.mktemp("pages"))


@pytest.fixture(scope="module")
def client(pages_db):
    from fastapi.testclient import TestClient

    from storytrace.web.app import create_app

    return TestClient(create_app(pages_db))


def bare_and_wire(pages_db: Path) -> tuple[str, str, str]:
    """(story id, the wire article's id, the article with no metadata's id)."""
    with Store.open_read_only(pages_db) as store:
        bare = next(i for i, m in store.meta_of(store.article_ids()).items() if m.outlet is None)
        story = store.article_story(bare)
        assert story, "the bare copy did not join the wire story"
        wire = store.story(story).article_ids[0]
    return story, wire, bare


def _visible(page_html: str) -> str:
    """The text a reader sees: tags dropped (attribute values such as ids are not text)."""
    return re.sub(r"<[^>]+>", " ", page_html)


# -- missing metadata ------------------------------------------------------------------------
def test_the_article_page_names_what_is_missing(client, pages_db):
    _, _, bare = bare_and_wire(pages_db)
    page = client.get(f"/article/{bare}").text
    assert f"{UNKNOWN_OUTLET} · {UNDATED}" in page
    assert f'<h1 id="title">{UNTITLED}</h1>' in page
    assert "None" not in _visible(page)


def test_the_story_page_never_shows_none(client, pages_db):
    story, _, bare = bare_and_wire(pages_db)
    page = client.get(f"/story/{story}").text
    assert "None" not in _visible(page)
    row = page[page.index(f'value="{bare}"') :]
    row = row[: row.index("</tr>")]
    assert UNDATED in row and UNKNOWN_OUTLET in row and UNTITLED in row
    lanes = page[page.index('<div class="lanes">') : page.index('<section id="graph">')]
    assert f">{UNKNOWN_OUTLET}</a>" in lanes and f">{UNDATED}</a>" in lanes
    assert re.search(r'class="dot[^"]*"[^>]*>ed<', lanes) is None  # "undated"[5:16] once


def test_the_static_story_report_never_shows_none(pages_db, tmp_path):
    from storytrace.report.story import story_view
    from storytrace.report.story_html import render_story

    story, _, _ = bare_and_wire(pages_db)
    with Store.open_read_only(pages_db) as store:
        page = render_story(story_view(store, story))
    assert "None" not in _visible(page)
    assert UNKNOWN_OUTLET in page and UNTITLED in page and UNDATED in page


# -- the comparison --------------------------------------------------------------------------
A_TEXT = "Officials said 2,500 U.S. troops deployed in Iraq would stay until spring."
B_TEXT = "Officials said 2,500 American troops in Iraq would stay until spring."


def _edited() -> Passage:
    diff = (
        DiffOp("equal", "Officials said 2,500", "Officials said 2,500"),
        DiffOp("replace", "U.S.", "American"),
        DiffOp("equal", "troops", "troops"),
        DiffOp("delete", "deployed", ""),
        DiffOp("equal", "in Iraq would stay until spring.", "in Iraq would stay until spring."),
    )
    return Passage("near-verbatim", (0, len(A_TEXT)), (0, len(B_TEXT)), A_TEXT, B_TEXT, 0.8, diff)


def test_changed_words_are_found_in_both_texts():
    from storytrace.report.html import changed_spans, mark_text

    in_a, in_b = changed_spans(_edited())
    assert [A_TEXT[s:e] for s, e, _ in in_a] == ["U.S.", "deployed"]
    assert [B_TEXT[s:e] for s, e, _ in in_b] == ["American"]
    assert [note for *_, note in in_a] == ["B has: American", "not in B"]
    marked = mark_text(A_TEXT, [(0, len(A_TEXT), "near-verbatim", "p-0")], in_a)
    assert marked.count('<span class="changed"') == 2
    assert '<span class="changed" title="B has: American">U.S.</span>' in marked
    assert marked.startswith('<mark class="near-verbatim') and marked.endswith("</mark>")


def test_a_diff_that_does_not_fit_its_text_marks_nothing_wrong():
    from storytrace.report.html import changed_spans

    p = _edited()
    shifted = Passage(p.kind, p.a, p.b, p.a_text.replace("U.S.", "US"), p.b_text, p.score, p.diff)
    in_a, in_b = changed_spans(shifted)
    assert in_a == [] and [B_TEXT[s:e] for s, e, _ in in_b] == ["American"]


@pytest.fixture(scope="module")
def comparison(pages_db):
    from storytrace.comparison import compare

    _, wire, bare = bare_and_wire(pages_db)
    with Store.open_read_only(pages_db) as store:
        return compare(store.article(wire), store.article(bare))


@pytest.mark.slow
def test_the_compare_report_leads_with_its_legend_and_links_every_section(comparison):
    from storytrace.report.html import render

    page = render(comparison)
    assert page.index('id="legend"') < page.index('id="col-a"')
    assert "<footer" not in page
    sections = re.findall(r"<section class='extra' id='(\w+)'>", page)
    assert {"quotes", "actors"} <= set(sections)
    jump = page[page.index('class="sections"') : page.index("</header>")]
    assert [h[1:] for h in re.findall(r'href="(#[\w-]+)"', jump)] == ["col-a", "col-b", *sections]
    assert "height:" not in page and "overflow:auto" not in page  # no column scrolls alone
    assert f"B: {UNTITLED}" in page and f"{UNKNOWN_OUTLET} · {UNDATED}" in page
    assert "None" not in _visible(page)


@pytest.mark.slow
def test_the_compare_report_marks_each_changed_word(comparison):
    from storytrace.report.html import render

    page = render(comparison)
    edited = [p for p in comparison.passages if p.kind == "near-verbatim"]
    assert edited, "the bare copy changed 2,500 to 'about 2,600'"
    changed = re.findall(r'<span class="changed" title="([^"]*)">([^<]*)</span>', page)
    ops = [op for p in edited for op in p.diff if op.op != "equal"]
    assert {op.a for op in ops if op.a} | {op.b for op in ops if op.b} == {w for _, w in changed}
    assert ("A has: 2,500", "about 2,600") in changed


@pytest.mark.slow
def test_the_web_compare_page_is_the_report_s_content(client, comparison, pages_db):
    from storytrace.report.html import body

    _, wire, bare = bare_and_wire(pages_db)
    page = client.get("/compare", params={"a": wire, "b": bare}).text
    assert body(comparison) in page
    assert "None" not in _visible(page)
    assert f"<title>River Sella bursts its banks in Valdora, 2,500 evacuated vs {UNTITLED}" in page


def test_the_mark_rules_are_the_same_on_the_web(client):
    from storytrace.report.html import MARK_STYLE

    css = client.get("/static/storytrace.css").text
    for rule in MARK_STYLE.strip().splitlines():
        assert rule in css, rule


# -- statements by speaker -------------------------------------------------------------------
def test_statements_are_grouped_by_speaker(client, pages_db):
    story, _, _ = bare_and_wire(pages_db)
    view = client.get(f"/api/stories/{story}").json()
    page = client.get(f"/story/{story}").text
    groups = re.findall(r"<details class='speaker'( open)?><summary><b>(.*?)</b>", page)
    assert [name for _, name in groups] == [s["speaker"] for s in view["speakers"]]
    assert sum(bool(o) for o, _ in groups) == min(3, len(groups))
    assert page.count("<tr data-q>") == sum(len(s["quotes"]) for s in view["speakers"])
    assert "id='speaker-filter'" in page and '<script src="/static/story.js">' in page
    for s in view["speakers"]:
        assert s["outlets"] == list(dict.fromkeys(q["outlet"] for q in s["quotes"]))


def test_a_statement_cited_via_another_source_says_so():
    from storytrace.report.story_html import speakers_html

    quote = {
        "article": "a1",
        "outlet": "Meridian Wire",
        "text": "We will not protest.",
        "direct": True,
    }
    speakers = [
        {
            "speaker": "Bernard Sanders",
            "outlets": ["Meridian Wire"],
            "quotes": [
                {**quote, "cue": "said", "via": "CNN"},
                {**quote, "cue": "said", "via": None},
            ],
        }
    ]
    rows = re.findall(r"<tr data-q>.*?</tr>", speakers_html(speakers))
    assert len(rows) == 2
    assert "said · according to CNN" in rows[0]
    assert "according to" not in rows[1]


@pytest.mark.slow
def test_matched_statements_name_the_speaker_and_whom_the_words_are_cited_from(comparison):
    from dataclasses import replace

    from storytrace.comparison import QuoteComparison, QuoteMatch
    from storytrace.model import Quote
    from storytrace.report.html import render

    said = Quote("We will not protest.", (0, 20), None, None, None, "said", None, True)
    quotes = QuoteComparison(
        (replace(said, speaker="Sanders", via="CNN"),),
        (said,),
        (QuoteMatch(0, 0, "paraphrase", 0.8, False),),
    )
    page = render(replace(comparison, quotes=quotes))
    section = page[page.index("id='quotes'") :]
    row = section[section.index("<tr><td>") : section.index("</tr>", section.index("<tr><td>"))]
    assert "Sanders, according to CNN" in row
    unnamed = render(replace(comparison, quotes=replace(quotes, a=(said,))))
    section = unnamed[unnamed.index("id='quotes'") :]
    assert "<td>?</td>" not in section


# -- the reuse graph -------------------------------------------------------------------------
def test_outlets_without_reuse_are_set_apart_and_explained():
    from storytrace.web.app import _TEMPLATES
    from storytrace.web.graph import Flow, reuse_graph

    graph = reuse_graph(["A", "B", "C", "D"], [Flow("A", "B", 2, 1)], "A")
    apart = [n for n in graph.nodes if n.apart]
    assert [n.name for n in apart] == ["C", "D"] and graph.apart == 2
    assert graph.apart_y is not None
    assert all(n.y > graph.apart_y for n in apart) and all(
        n.y < graph.apart_y for n in graph.nodes if not n.apart
    )
    assert all(n.y < graph.height for n in graph.nodes)
    svg = _TEMPLATES.get_template("_graph.html").render(graph=graph)
    assert 'id="apart-label"' in svg and "the 2 outlets below the dashed line share no" in svg
    none = reuse_graph(["A", "B"], [], "A")
    assert none.apart == 0 and none.apart_y is None
    assert "none of these outlets took text" in _TEMPLATES.get_template("_graph.html").render(
        graph=none
    )


def test_a_long_outlet_name_is_cut_in_the_drawing_only(client, pages_db):
    story, _, _ = bare_and_wire(pages_db)
    page = client.get(f"/story/{story}").text
    svg = page[page.index('<svg id="reuse-graph"') : page.index("</svg>")]
    labels = re.findall(r"<text x=[^>]*>([^<]*)</text>", svg)
    assert all(len(label) <= 30 for label in labels)
    assert any(label.endswith("…") and LONG_OUTLET.startswith(label[:-1]) for label in labels)
    assert f"<title>{LONG_OUTLET}" in svg  # the tooltip has it whole
