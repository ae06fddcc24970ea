"""Who said it: impersonal statements, subheads, places, and the learned speaker ranking."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import SAMPLE
from storytrace.nlp.quotes import extract_quotes

pytestmark = pytest.mark.slow

# places the sample corpus names; none of them ever speaks there
SAMPLE_PLACES = {"Valdora", "Eastmarch", "Kessmouth", "Hollin", "Torvane", "Dunreth", "Lisker"}


def _with(quotes, words):
    found = [q for q in quotes if words in q.text]
    assert found, [q.text for q in quotes]
    return found[0]


def _last(name):
    words = re.findall(r"\w+", name or "")
    return words[-1].casefold() if words else None


# -- impersonal constructions ----------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "It is estimated that there are currently 2,500 U.S. troops deployed in Iraq.",
        "It is believed that the talks will resume in Dunreth next week.",
        "There are reports that the minister has left the capital.",
        "It was said at the time that the dam could not fail.",
    ],
)
def test_impersonal_statement_has_no_speaker(text):
    assert extract_quotes(text) == []


def test_impersonal_with_a_named_source_keeps_it():
    quotes = extract_quotes("It was reported by the coastguard that the harbour wall had failed.")
    q = _with(quotes, "harbour wall had failed")
    assert q.speaker == "the coastguard"


# -- headings and subheads -------------------------------------------------------------------
def test_quoted_subhead_on_its_own_line_is_not_a_quote():
    text = (
        "Senators clashed over the war on Tuesday as the vote drew near.\n"
        "\u2018US troops should fully withdraw\u2019\n"
        "Senator Ana Ruiz said the troops had done their job. "
        "\u201cIt is time to bring every one of them home,\u201d she said."
    )
    quotes = extract_quotes(text)
    assert not [q for q in quotes if "fully withdraw" in q.text]
    assert _with(quotes, "bring every one of them home").speaker_resolved == "Ana Ruiz"


def test_whole_quoted_sentence_as_a_paragraph_stays_a_quote():
    """A closed sentence in quote marks on its own line is running speech, not a heading."""
    text = (
        "Rosa Tamm stood in what was left of her kitchen on Wednesday.\n"
        "\u201cWe lost everything on the ground floor, and nobody warned us.\u201d\n"
        "The council said it would pay for the clean-up."
    )
    q = _with(extract_quotes(text), "nobody warned us")
    assert q.direct
    assert q.speaker_resolved == "Rosa Tamm"


# -- places and governments ------------------------------------------------------------------
def test_capital_standing_for_its_government_speaks():
    q = _with(
        extract_quotes("Washington said on Monday that the sanctions would stay in place."),
        "sanctions would stay",
    )
    assert q.speaker == "Washington"


def test_place_beside_the_speaker_is_not_the_speaker():
    text = (
        "Officials in Eastmarch said the bridge to Valdora would reopen on Friday.\n"
        "\u201cThe water has gone down faster than we feared,\u201d said Mayor Ilse Marrow "
        "in Valdora."
    )
    quotes = extract_quotes(text)
    assert _last(_with(quotes, "bridge to Valdora").speaker) == "officials"
    assert _with(quotes, "gone down faster").speaker_resolved == "Ilse Marrow"


def test_passive_subject_is_spoken_to_not_the_speaker():
    """ "the army had been asked": the army hears the request; Helena Brask tells it."""
    text = (
        "Governor Helena Brask told reporters that the army had been asked to send trucks. "
        "The army was told by the ministry that the roads were closed."
    )
    quotes = extract_quotes(text)
    assert _with(quotes, "send trucks").speaker_resolved == "Helena Brask"
    assert _last(_with(quotes, "roads were closed").speaker) == "ministry"


def test_according_to_at_the_end_of_the_sentence():
    """The source stands inside the sentence the rules take as the statement; the ranking
    must still see it, not the speaker of the paragraph before."""
    text = (
        "\u201cNobody will be left to fend for themselves,\u201d Governor Helena Brask said.\n"
        "Water levels reached 6.2 metres at 4 am, more than two metres above normal, "
        "according to the national weather service."
    )
    q = _with(extract_quotes(text), "Water levels")
    assert q.speaker == "the national weather service"
    assert q.cue == "according to"


def test_according_to_beside_the_speaker_is_kept_as_via():
    """ "..., X said, according to CNN": the words are X's, cited via CNN (PolNeAR names CNN
    as the source, and the ranking learned that; the split keeps both)."""
    text = (
        "Delegates argued late into the night in Philadelphia.\n"
        "\u201cI ask you as a personal courtesy not to protest on the floor,\u201d "
        "Senator Bernard Sanders said, according to CNN."
    )
    q = _with(extract_quotes(text), "personal courtesy")
    assert _last(q.speaker_resolved or q.speaker) == "sanders"
    assert q.via == "CNN"
    assert q.cue == "said"


def test_according_to_alone_is_the_speaker_without_via():
    text = "Water levels rose by two metres overnight, according to the weather service."
    q = _with(extract_quotes(text), "Water levels")
    assert _last(q.speaker) == "service"
    assert q.via is None


def test_dateline_agency_is_no_antecedent():
    text = (
        "HOLLIN, March 8 (Meridian Wire) - The environment agency said on Sunday that it "
        "had found traces of firefighting foam in the river. It said the water would be "
        "tested every day."
    )
    assert all(q.speaker_resolved != "Meridian Wire" for q in extract_quotes(text))


def test_a_qualified_body_is_only_the_body_named_with_those_words():
    """'The county council says' is not the newspaper named just before it, but it is a
    county council the text has named."""
    text = (
        "Coastguard captain Orrin Maddox told the Herald the surge was the worst he had seen. "
        "The county council says anyone needing shelter should call its emergency line."
    )
    council = _with(extract_quotes(text), "anyone needing shelter")
    assert council.speaker.lower() == "the county council"
    assert council.speaker_resolved is None
    named = text.replace("told the Herald", "told the Brannock County Council meeting")
    assert _with(extract_quotes(named), "anyone needing shelter").speaker_resolved == (
        "Brannock County Council"
    )


def test_ranking_finds_a_speaker_the_rules_miss():
    """ "Limbaugh continued:" has no speech verb of the lexicon, so the rules give the quote
    nobody; the ranking reads the colon and the subject right before the quote."""
    from storytrace.nlp.pipeline import get_nlp
    from storytrace.nlp.quotes import quotes_from_doc

    doc = get_nlp()(
        "Radio host Rush Limbaugh took the microphone again. Limbaugh continued: "
        "\u201cThe media never tells you this part of the story, and they never will.\u201d"
    )
    by_rules = _with(quotes_from_doc(doc, speakers="rules"), "media never tells")
    by_model = _with(quotes_from_doc(doc), "media never tells")
    assert by_rules.speaker is None
    assert by_model.speaker_resolved == "Rush Limbaugh"


def test_surname_the_tagger_missed_takes_the_full_name():
    text = (
        "The mayor, Ilse Marrow, met the protesters at noon. Her deputy, Felix Darrow, "
        "stayed inside.\n\u201cWe hear you, and we will open the books to anyone who "
        "asks,\u201d Marrow told the crowd."
    )
    assert _with(extract_quotes(text), "open the books").speaker_resolved == "Ilse Marrow"


def test_person_named_inside_the_quote_is_not_who_said_it():
    """ "the mayor" inside the quote is whom the speaker talks about; "he" after the quote
    is the man who spoke in the sentence before, not the mayor named in it."""
    text = (
        "The mayor, Ilse Marrow, denied any wrongdoing on Monday. She said she welcomed the "
        "inquiry.\nOpposition leader Felix Darrow said the inquiry should also look at the "
        "tender. \u201cIf the rules were followed, the mayor has nothing to fear,\u201d he said."
    )
    quote = _with(extract_quotes(text), "nothing to fear")
    assert quote.speaker == "he"
    assert quote.speaker_resolved == "Felix Darrow"


# -- the sample corpus -----------------------------------------------------------------------
def _sample_articles():
    """(truth key, Article) for every article of the sample corpus: its URL, else its path."""
    import csv

    import storytrace

    corpus = SAMPLE / "corpus"
    paths = sorted(str(p) for p in corpus.glob("*/*") if p.suffix in (".html", ".txt"))
    for feed in sorted(corpus.glob("*/*.jsonl")):
        n = sum(1 for line in feed.read_text(encoding="utf-8").splitlines() if line.strip())
        paths += [f"{feed}#{i}" for i in range(1, n + 1)]
    for table in sorted(corpus.glob("*/*.csv")):
        with table.open(encoding="utf-8", newline="") as handle:
            n = sum(1 for _ in csv.DictReader(handle))
        paths += [f"{table}#{i}" for i in range(1, n + 1)]
    for feed in sorted(corpus.glob("*/*.xml")):
        n = feed.read_text(encoding="utf-8").count("<item")
        paths += [f"{feed}#{i}" for i in range(1, n + 1)]
    out = []
    for path in paths:
        article = storytrace.extract(path)
        out.append((article.url or str(Path(path).relative_to(corpus)), article))
    return out


@pytest.fixture(scope="module")
def sample_quotes():
    """(truth key, rules' quotes, model's quotes) for every article of the sample corpus."""
    from storytrace.nlp.pipeline import parse
    from storytrace.nlp.quotes import quotes_from_doc

    out = []
    for key, article in _sample_articles():
        (doc,) = parse([article.text])
        out.append(
            (
                key,
                quotes_from_doc(doc, speakers="rules"),
                quotes_from_doc(doc, speakers="model"),
            )
        )
    return out


def test_sample_governor_quote_goes_to_helena_brask(sample_quotes):
    found = [q for _, _, quotes in sample_quotes for q in quotes if "fend for themselves" in q.text]
    assert len(found) >= 2  # the Harbour Tribune and the Meridian Wire both carry it
    for q in found:
        assert q.speaker_resolved == "Helena Brask", q
        assert q.direct


def test_sample_places_never_speak(sample_quotes):
    """No statement is put in the mouth of a town or a province ("Eastmarch Governor Helena
    Brask" is a person with a place in her title; the Meridian Wire is only a dateline)."""
    for _, _, quotes in sample_quotes:
        for q in quotes:
            assert _last(q.speaker_resolved) not in {p.casefold() for p in SAMPLE_PLACES}, q
            assert _last(q.speaker) not in {p.casefold() for p in SAMPLE_PLACES}, q
            assert q.speaker_resolved != "Meridian Wire", q


def _truth_accuracy(sample_quotes, pick):
    truth = json.loads((SAMPLE / "truth.json").read_text(encoding="utf-8"))["quotes"]
    by_key = {key: (rules, model) for key, rules, model in sample_quotes}
    found = right = 0
    for t in truth:
        quotes = pick(by_key[t["article"]])
        match = next((q for q in quotes if t["text"] in q.text or q.text in t["text"]), None)
        if match is None:
            continue
        found += 1
        right += _last(match.speaker_resolved or match.speaker) == _last(t["speaker"])
    return found, right


def test_sample_speakers_as_the_truth_file_has_them(sample_quotes):
    """Every statement of the sample that is found has the speaker truth.json gives.

    That includes the nested attributions, where the ranking (fitted on PolNeAR, which names
    the outermost source) picks the "according to" phrase: "“...,” he said, according to a
    translation by Meridian Wire" is Idris Vahlen's, and "According to government officials,
    Minister Claudia Venn has told colleagues that ..." is Claudia Venn's, with the officials
    kept as ``via``.
    """
    found, by_model = _truth_accuracy(sample_quotes, lambda pair: pair[1])
    found_rules, _ = _truth_accuracy(sample_quotes, lambda pair: pair[0])
    assert found == found_rules >= 120
    assert by_model == found, (by_model, found)
    via = {q.via for _, _, quotes in sample_quotes for q in quotes if q.via}
    assert "government officials" in via


# -- the model file --------------------------------------------------------------------------
def test_shipped_weights_fit_the_features():
    from storytrace.nlp.speakers import FEATURES, load_model

    model = load_model()
    assert len(model.weights) == len(FEATURES)
    assert 0.0 <= model.min_probability < 1.0
    assert any(w != 0 for w in model.weights)


def test_floor_leaves_an_unsure_quote_without_speaker():
    from storytrace.nlp.speaker_features import Candidate
    from storytrace.nlp.speakers import FEATURES, SpeakerModel, choose

    flat = SpeakerModel((0.0,) * len(FEATURES), 0.6)
    row = (0.0,) * len(FEATURES)
    two = [
        Candidate(None, "a", (0, 1), None, None, row),
        Candidate(None, "b", (2, 3), None, None, row),
    ]
    best, share = choose(two, flat)
    assert best is None and share == pytest.approx(0.5)
    sure = SpeakerModel((0.0,) * len(FEATURES), 0.4)
    assert choose(two, sure)[0] is two[0]


def test_speakers_option_is_checked():
    from storytrace.nlp.pipeline import get_nlp
    from storytrace.nlp.quotes import quotes_from_doc

    with pytest.raises(ValueError):
        quotes_from_doc(get_nlp()("Anna Brel said it would rain."), speakers="guess")


# -- parse helpers ---------------------------------------------------------------------------
class _Tok:
    """A token that, like spaCy's, is a new object on every ``head`` access."""

    def __init__(self, tree, i):
        self.tree, self.i = tree, i
        word, self.dep_, self.pos_, self.tag_, self._head = tree[i]
        self.lower_ = self.lemma_ = self.text = word

    @property
    def head(self):
        return _Tok(self.tree, self._head)

    @property
    def children(self):
        return [
            _Tok(self.tree, j) for j, t in enumerate(self.tree) if t[4] == self.i and j != self.i
        ]


def test_subject_search_stops_at_a_root_that_is_no_verb():
    """ "The talks, whose agenda is land, emphasizing ...": the participle hangs off a relative
    clause whose sentence has a noun for root; the search for the main verb must end there."""
    from storytrace.nlp.cues import subject_of

    tree = [
        ("talks", "ROOT", "NOUN", "NNS", 0),
        ("whose", "poss", "PRON", "WP$", 2),
        ("agenda", "nsubj", "NOUN", "NN", 3),
        ("is", "relcl", "AUX", "VBZ", 0),
        ("emphasizing", "advcl", "VERB", "VBG", 3),
    ]
    assert subject_of(_Tok(tree, 4)) is None
