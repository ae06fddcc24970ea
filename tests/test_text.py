from storytrace.text.normalize import fold_token
from storytrace.text.quotemarks import quoted_spans
from storytrace.text.segmented import segment
from storytrace.text.sentences import split_sentences
from storytrace.text.tokens import tokenize, word_keys


def test_fold_token_evens_out_spelling_of_numbers_and_acronyms():
    assert fold_token("2,500") == fold_token("2500")
    assert fold_token("U.S.") == fold_token("US")
    assert fold_token("Café") == fold_token("cafe")
    assert fold_token("Iraq's") == fold_token("Iraq")


def test_word_keys_ignore_case_quote_style_and_punctuation():
    a = word_keys("“We will stay,” he said.")
    b = word_keys('"we WILL stay" -- he said')
    assert a == b == ["we", "will", "stay", "he", "said"]


def test_tokens_point_back_into_the_text():
    text = "The U.S. sent 2,500 troops."
    for token in tokenize(text):
        assert text[token.start : token.end].strip()
    assert [text[t.start : t.end] for t in tokenize(text)][:2] == ["The", "U.S."]


def test_sentences_respect_abbreviations_and_paragraphs():
    text = "Dr. Lena Voss spoke at 9 a.m. on Monday. She left.\nA new paragraph starts"
    spans = split_sentences(text)
    pieces = [text[s:e] for s, e in spans]
    assert pieces == [
        "Dr. Lena Voss spoke at 9 a.m. on Monday.",
        "She left.",
        "A new paragraph starts",
    ]


def test_quoted_spans_pair_every_style_and_skip_apostrophes():
    text = "He said “we stay”, Kata'ib added «no talks» and 'maybe later' while Iraq’s envoy left."
    found = [text[s:e] for s, e in quoted_spans(text)]
    assert found == ["we stay", "no talks", "maybe later"]


def test_quote_running_over_paragraphs_is_one_span():
    text = "“First part of it.\n“Second part,” she said."
    (span,) = quoted_spans(text)
    assert text[span[0] : span[1]].startswith("First") and "Second part" in text[span[0] : span[1]]


def test_unbalanced_quote_is_dropped_not_guessed():
    assert quoted_spans("He said “we stay and then left.") == []


def test_segment_maps_tokens_to_sentences():
    seg = segment("One two three. Four five.")
    assert len(seg.sentences) == 2
    assert seg.token_sentence == [0, 0, 0, 1, 1]
