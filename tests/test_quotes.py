"""Quotes and speakers on texts written for these tests."""

import pytest

from storytrace.nlp.quotes import extract_quotes, speaker_key

pytestmark = pytest.mark.slow

TEXT = (
    "Union leader Mara Colt said on Monday that the strike would continue until wages rose.\n"
    "“We are not going back for crumbs,” Colt told reporters outside the gate.\n"
    "She said the port had refused three offers.\n"
    'Harbour master Tomas Brell, a veteran of the port, said, "Ships are already queuing in the bay."\n'
    "According to the port authority, 14 vessels are waiting to unload."
)


@pytest.fixture(scope="module")
def quotes():
    return extract_quotes(TEXT)


def _with(quotes, words):
    found = [q for q in quotes if words in q.text]
    assert found, [q.text for q in quotes]
    return found[0]


def test_direct_quote_with_speaker_and_cue(quotes):
    q = _with(quotes, "not going back for crumbs")
    assert q.direct and q.cue == "told"
    assert q.speaker_resolved == "Mara Colt"
    assert TEXT[q.span[0] : q.span[1]] == q.text


def test_indirect_speech_with_that_clause(quotes):
    q = _with(quotes, "the strike would continue")
    assert not q.direct and q.speaker_resolved == "Mara Colt" and q.cue == "said"


def test_pronoun_resolves_to_named_person(quotes):
    q = _with(quotes, "refused three offers")
    assert q.speaker == "She" and q.speaker_resolved == "Mara Colt"


def test_straight_quotes_and_apposition(quotes):
    q = _with(quotes, "Ships are already queuing")
    assert q.direct and q.speaker_resolved == "Tomas Brell"


def test_according_to(quotes):
    q = _with(quotes, "14 vessels are waiting")
    assert not q.direct and "port authority" in q.speaker


def test_speaker_key_meets_across_spellings(quotes):
    q = _with(quotes, "not going back for crumbs")
    assert speaker_key(q) == "colt"


def test_role_noun_resolves_to_person():
    text = (
        "Senior cleric Idris Valen addressed the crowd in Dunreth on Friday.\n"
        "The cleric said, “Peace will come when the guns are silent.”"
    )
    (q,) = [q for q in extract_quotes(text) if q.direct]
    assert q.speaker_resolved == "Idris Valen"


def test_running_quote_over_paragraphs_keeps_speaker():
    text = (
        "“The water came in minutes,” said Ana Ruiz, a shopkeeper.\n"
        "“We lost everything on the ground floor and nobody warned us.”"
    )
    quotes = [q for q in extract_quotes(text) if q.direct]
    assert len(quotes) == 2
    assert {q.speaker_resolved for q in quotes} == {"Ana Ruiz"}


@pytest.mark.parametrize(
    "text",
    [
        "He said “this never closes and goes on and on",
        "No quotes at all in this plain sentence about the weather.",
        "El alcalde dijo que la reunión se celebrará el lunes en el ayuntamiento.",
        "word " * 20000,
        "“" + "very long quote " * 1500 + "” she said.",
    ],
)
def test_awkward_input_does_not_crash(text):
    quotes = extract_quotes(text)
    assert isinstance(quotes, list)
    for q in quotes:
        assert text[q.span[0] : q.span[1]] == q.text


def test_descriptors_from_apposition_and_premodifier():
    from storytrace.nlp.descriptors import descriptors_for
    from storytrace.nlp.entities import entities_from_doc
    from storytrace.nlp.pipeline import parse

    text = (
        "Union leader Mara Colt spoke first. Tomas Brell, the harbour master of Port Lisker, "
        "said the ships would wait."
    )
    doc = parse([text])[0]
    found = {e.name: e.descriptors for e in descriptors_for(doc, entities_from_doc(doc))}
    assert "Union leader" in found.get("Mara Colt", ())
    assert any("harbour master" in d for d in found.get("Tomas Brell", ()))


def test_compare_flags_numbers_that_disagree():
    from storytrace.comparison import compare

    a = "The agency said 2,500 people were evacuated from the valley on Tuesday after the river rose."
    b = "The agency said 3,000 people were evacuated from the valley on Tuesday after the river rose."
    (d,) = compare(a, b).disagreements
    assert (d["a"], d["b"]) == ("2500", "3000")
    same = compare(a, a)
    assert same.disagreements == ()
