"""The aligner on texts written for these tests."""

import pytest

from storytrace.align import AlignOptions, align
from storytrace.text.segmented import segment

A = (
    "The harbour authority closed the northern quay on Friday after a crane collapsed. "
    "Nobody was hurt, officials said. "
    "Inspectors from the national safety board will arrive in Kessmouth on Monday to examine the crane. "
    "About 1,200 U.S. sailors are based at the port."
)
B = (
    "Inspectors from the national safety board will arrive in Kessmouth on Monday to examine the crane. "
    "The northern quay was shut on Friday. "
    "About 1200 American sailors are based at the port, the navy said."
)
NO_MODEL = AlignOptions(paraphrases=False)


def test_verbatim_passage_found_out_of_order_with_offsets():
    passages = align(segment(A), segment(B), NO_MODEL)
    verbatim = [p for p in passages if p.kind == "verbatim"]
    assert verbatim, passages
    p = verbatim[0]
    assert "national safety board will arrive in Kessmouth" in p.a_text
    assert A[p.a[0] : p.a[1]] == p.a_text
    assert B[p.b[0] : p.b[1]] == p.b_text
    # B puts this sentence first, A third: order does not matter
    assert p.b[0] == 0 and p.a[0] > 0


def test_near_verbatim_with_word_diff():
    passages = align(segment(A), segment(B), NO_MODEL)
    near = [p for p in passages if p.kind == "near-verbatim"]
    assert len(near) == 1
    (p,) = near
    assert "sailors are based at the port" in p.a_text and "American" in p.b_text
    changes = {(op.a, op.b) for op in p.diff if op.op != "equal"}
    assert ("U.S.", "American") in changes
    assert 0.5 < p.score < 1.0


def test_unrelated_texts_share_nothing():
    other = "A new bakery opened on the high street, selling rye bread and almond cakes to queues of locals."
    assert align(segment(A), segment(other), NO_MODEL) == []


def test_self_alignment_is_one_verbatim_passage_per_stretch():
    passages = align(segment(A), segment(A), NO_MODEL)
    assert all(p.kind == "verbatim" and p.score == 1.0 for p in passages)
    covered = sum(p.a[1] - p.a[0] for p in passages)
    assert covered > 0.9 * len(A)


def test_stock_phrases_alone_do_not_make_a_passage():
    x = "The minister said on Monday that the plan was ready. Rain fell."
    y = "The mayor said on Monday that the bridge was closed. Sun shone."
    assert [p for p in align(segment(x), segment(y), NO_MODEL) if p.kind == "verbatim"] == []


@pytest.mark.slow
def test_paraphrase_pairs_reworded_sentence():
    a = "The city council postponed its vote on the new football stadium until next month."
    b = (
        "Residents gathered outside the town hall in the rain. "
        "Councillors have delayed the decision on the planned football stadium to next month."
    )
    passages = align(segment(a), segment(b))
    para = [p for p in passages if p.kind == "paraphrase"]
    assert len(para) == 1
    assert para[0].b_text.startswith("Councillors have delayed")
    assert 0.0 < para[0].score <= 1.0


@pytest.mark.slow
def test_same_speaker_quotes_pair_more_readily():
    a = 'Mara Colt said, "Our members will not go back until the port pays them fairly."'
    b = '"Nobody returns to work before the pay is fair," Colt said. The weather was mild.'
    said_a = [((a.index("Our"), a.index("fairly") + 6), "colt")]
    said_b = [((1, b.index("fair") + 4), "colt")]
    without = [p for p in align(segment(a), segment(b)) if p.kind == "paraphrase"]
    with_speaker = [
        p for p in align(segment(a), segment(b), said=(said_a, said_b)) if p.kind == "paraphrase"
    ]
    assert len(with_speaker) == 1
    assert with_speaker[0].score >= max((p.score for p in without), default=0.0)


def test_statements_sharing_no_content_words_are_never_embedded():
    """The paraphrase step embeds only units with a possible partner: a sentence sharing
    fewer than two content words with every sentence of the other text is left out, a
    quote is kept whatever its words (its speaker may pair it), and the filter can be off."""
    from storytrace.align import align_lexical

    a = (
        "The harbour master closed the port of Lisker after the storm surge. "
        "A choir sang in the cathedral on Sunday evening. "
        '"We will reopen when the quay is safe," the harbour master said.'
    )
    b = (
        "Port Lisker was closed by its harbour master when the surge arrived. "
        "Bakers in the old town raised their prices again. "
        '"Nothing sails until the docks are inspected," she said.'
    )
    sa, sb = segment(a), segment(b)

    def texts(units, seg):
        return [seg.text[slice(*seg.char_span(*u))] for u in units]

    filtered = align_lexical(sa, sb, AlignOptions())
    kept_a, kept_b = texts(filtered.a_units, sa), texts(filtered.b_units, sb)
    assert any(t.startswith("The harbour master closed") for t in kept_a)
    assert any(t.startswith("Port Lisker was closed") for t in kept_b)
    assert not any("choir" in t for t in kept_a)
    assert not any("Bakers" in t for t in kept_b)
    assert any(t.startswith("Nothing sails") for t in kept_b)  # a quote: kept
    everything = align_lexical(sa, sb, AlignOptions(min_shared_words=0))
    assert any("choir" in t for t in texts(everything.a_units, sa))
    assert len(everything.b_units) > len(filtered.b_units)


def test_a_text_repeating_one_sentence_costs_linear_work_not_quadratic():
    """Boilerplate repeated a thousand times must not make a comparison run for minutes:
    a word held by very many units of the other side is no partner evidence, and a unit is
    scored only against its nearest few on the other side."""
    import numpy as np

    from storytrace.align import paraphrase
    from storytrace.align.aligner import with_shared_words

    repeated = [frozenset({"lorem", "ipsum", "dolor"})] * 1000
    kept_a, kept_b = with_shared_words(repeated, repeated, 2)
    assert kept_a == [] and kept_b == []  # every word is everywhere: nothing to pair on
    few = [frozenset({"lorem", "ipsum", "dolor"})] * 50
    assert with_shared_words(few, few, 2) == (list(range(50)), list(range(50)))

    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(400, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    keep = paraphrase._nearest(vectors @ vectors.T, 8)
    assert keep.sum() <= 2 * 8 * 400  # linear in the units, not 400 x 400
    assert keep[np.arange(400), np.arange(400)].all()  # each unit's nearest is kept

    scored = []
    original = paraphrase.pair_features

    def counting(*args):
        scored.append(1)
        return original(*args)

    units = [
        paraphrase.Unit(["lorem", "ipsum", "dolor"], (n * 10, n * 10 + 9), v, v[None, :])
        for n, v in enumerate(np.repeat(vectors[:1], 300, axis=0))
    ]
    paraphrase.pair_features = counting
    try:
        paraphrase.match_units(units, units)
    finally:
        paraphrase.pair_features = original
    assert 0 < len(scored) <= 2 * 8 * 300


def test_spans_taken_by_matches_are_checked_against_their_neighbours():
    from storytrace.align.paraphrase import _Taken

    taken = _Taken()
    for span in [(50, 60), (10, 20), (30, 40)]:
        assert not taken.overlaps(span)
        taken.add(span)
    assert taken.overlaps((15, 25)) and taken.overlaps((35, 36)) and taken.overlaps((0, 11))
    assert taken.overlaps((59, 70)) and taken.overlaps((0, 100))
    assert not taken.overlaps((20, 30)) and not taken.overlaps((40, 50))
    assert not taken.overlaps((60, 61)) and not taken.overlaps((0, 10))
