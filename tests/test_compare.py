"""compare() end to end: the seed pair, the sample corpus, self and unrelated articles."""

import re

import pytest

from conftest import SAMPLE
from storytrace import compare
from storytrace.comparison import CompareOptions
from storytrace.comparison import compare as compare_with
from storytrace.report.html import render
from storytrace.similarity import EVIDENCE, SimilarityModel, combine

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seeds(seed_pair):
    return compare(*seed_pair)


def _norm(text):
    return re.sub(r"\W+", " ", text).lower()


def _found(result, needle, kinds):
    return [p for p in result.passages if p.kind in kinds and _norm(needle) in _norm(p.a_text)]


def test_seed_shared_sentences_are_verbatim_or_near(seeds):
    copied = ("verbatim", "near-verbatim")
    assert _found(seeds, "approved a bill which requires the baghdad government", copied)
    assert _found(seeds, "soleimani", copied)
    assert _found(seeds, "2 500 u s troops", copied) or _found(seeds, "2,500 U.S. troops", copied)
    troops = _found(seeds, "troops deployed in iraq", copied)[0]
    assert troops.kind == "near-verbatim"
    assert any(op.op != "equal" and "american" in op.b.lower() for op in troops.diff)


def test_seed_husseini_statement_is_a_paraphrase(seeds):
    para = [p for p in seeds.passages if p.kind == "paraphrase"]
    assert any("no value" in p.a_text and "no use" in p.b_text for p in para), para


def test_seed_scrape_chrome_is_metadata(seeds):
    a = seeds.a
    assert a.published == "2021-04-07T22:02:00"
    assert any("News ID" in s for s in a.stripped)
    assert "News ID" not in a.text and "Publish Date" not in a.text


def test_seed_offsets_point_into_texts(seeds):
    for p in seeds.passages:
        assert seeds.a.text[p.a[0] : p.a[1]] == p.a_text
        assert seeds.b.text[p.b[0] : p.b[1]] == p.b_text


def test_seed_quotes_are_matched_with_same_speaker(seeds):
    q = seeds.quotes
    matched = [(q.a[m.a], q.b[m.b], m) for m in q.matches]
    assert any("Husseini" in (x.speaker_resolved or "") and m.same_speaker for x, _, m in matched)


def test_json_has_documented_fields(seeds):
    data = seeds.to_dict()
    for side in ("a", "b"):
        assert {"title", "outlet", "published", "text"} <= set(data[side])
    for p in data["passages"]:
        assert {"kind", "a", "b", "a_text", "b_text", "score"} <= set(p)
        assert ("diff" in p) == (p["kind"] == "near-verbatim")
    sim = data["similarity"]
    assert 0 <= sim["overall"] <= 1 and 1 <= sim["scale"] <= 4
    shown = [d["name"] for d in sim["drivers"] + sim["evidence"]]
    assert sorted(shown) == sorted(EVIDENCE)  # every kind, once
    assert all(d["weight"] != 0 for d in sim["drivers"])
    assert all(d["weight"] == 0 for d in sim["evidence"])
    assert set(data["quotes"]) == {"a", "b", "matches"}
    assert set(data["entities"]) == {"shared", "only_a", "only_b"}


def test_only_weighted_evidence_drives_overall():
    weights = dict.fromkeys(EVIDENCE, 0.0) | {"semantic": 0.5, "passages": 0.25}
    values = dict.fromkeys(EVIDENCE, 0.8)
    sim = combine(values, {}, SimilarityModel(weights, 0.0))
    assert [d.name for d in sim.drivers] == ["semantic", "passages"]  # largest share first
    assert [d.name for d in sim.evidence] == [k for k in EVIDENCE if weights[k] == 0]
    assert sim.overall == pytest.approx(0.8 * 0.75)


def test_self_comparison_is_identical():
    path = SAMPLE / "corpus" / "meridianwire.example" / "wire.jsonl#3"
    result = compare_with(path, path, CompareOptions(entities=False))
    assert result.similarity.overall > 0.95
    assert result.similarity.scale < 1.2
    assert {p.kind for p in result.passages} == {"verbatim"}


def test_unrelated_articles_score_low(truth):
    by_story = {}
    for art in truth["articles"]:
        by_story.setdefault(art["story"], art)
    flood, strike = by_story["flood-valdora"], by_story["port-strike"]
    result = compare(_locate(flood), _locate(strike))
    same = compare(
        _locate(flood),
        _locate(
            next(a for a in truth["articles"] if a["story"] == "flood-valdora" and a is not flood)
        ),
    )
    assert result.similarity.overall < same.similarity.overall - 0.2
    assert result.similarity.scale > 2.5
    assert not [p for p in result.passages if p.kind != "paraphrase"]


def _locate(entry):
    """A sample article as a path (with #N for records in multi-record files)."""
    path = SAMPLE / "corpus" / entry["path"]
    if path.suffix in (".jsonl", ".csv", ".xml"):
        from storytrace.ingest import read_path

        for n, art in enumerate(read_path(path), start=1):
            if art.url == entry["url"]:
                return f"{path}#{n}"
        raise AssertionError(entry)
    return path


def test_sample_wire_copy_reuse_is_found(truth):
    """Every reused passage the truth file lists for one wire/copy pair is found."""
    pairs = {}
    for r in truth["reuse"]:
        pairs.setdefault((r["source"], r["target"]), []).append(r)
    articles = {a["key"]: a for a in truth["articles"]}
    (source, target), expected = max(pairs.items(), key=lambda kv: len(kv[1]))
    result = compare(_locate(articles[source]), _locate(articles[target]))
    for item in expected:
        words = set(_norm(item["source_text"]).split())
        best = max(
            (len(words & set(_norm(p.a_text).split())) / len(words) for p in result.passages),
            default=0,
        )
        assert best > 0.8, item["source_text"]


def test_html_report_is_self_contained_and_pairs_marks(seeds):
    page = render(seeds)
    assert "<script src" not in page and "<link" not in page
    keys_a = set(re.findall(r'data-p="(p-\d+)"', page[: page.index('id="col-b"')]))
    keys_b = set(re.findall(r'data-p="(p-\d+)"', page[page.index('id="col-b"') :]))
    assert keys_a and keys_a == keys_b == {f"p-{n}" for n in range(len(seeds.passages))}


def test_cli_compare_json_and_html(cli, seed_pair, tmp_path):
    out = tmp_path / "report.html"
    result = cli("compare", *seed_pair, "--json", "--html", out)
    assert result.code == 0, result.err
    data = result.json()
    assert data["a"]["published"] == "2021-04-07T22:02:00"
    assert out.exists() and "mark" in out.read_text()


def test_seed_labels_per_outlet(seeds):
    shared = {x.name: (x.descriptors, y.descriptors) for x, y in seeds.entities.shared}
    a_labels, b_labels = shared["Jaafar al-Husseini"]
    assert any("spokesman" in d for d in a_labels) and any("spokesman" in d for d in b_labels)
    page = render(seeds)
    assert "How each calls the actors" in page and "spokesman" in page
