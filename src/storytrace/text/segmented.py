"""A text cut once into words and sentences, so every stage reuses the same cut."""

from __future__ import annotations

from dataclasses import dataclass

from storytrace.model import Span
from storytrace.text.sentences import split_sentences
from storytrace.text.tokens import Token, tokenize


@dataclass(frozen=True, slots=True)
class Segmented:
    """Words and sentences of one text, with the links between them.

    ``sentence_tokens[s]`` is the token range of sentence ``s``; ``token_sentence[t]`` is the
    index of the sentence holding token ``t``.
    """

    text: str
    tokens: list[Token]
    sentences: list[Span]
    sentence_tokens: list[tuple[int, int]]
    token_sentence: list[int]

    @property
    def keys(self) -> list[str]:
        return [t.key for t in self.tokens]

    def sentence_keys(self, s: int) -> list[str]:
        lo, hi = self.sentence_tokens[s]
        return [t.key for t in self.tokens[lo:hi]]

    def char_span(self, t0: int, t1: int) -> Span:
        """Character span from the start of token ``t0`` to the end of token ``t1 - 1``."""
        return self.tokens[t0].start, self.tokens[t1 - 1].end


def segment(text: str) -> Segmented:
    """Cut ``text`` into tokens and sentences and index each against the other."""
    tokens = tokenize(text)
    sentences = split_sentences(text)
    sentence_tokens: list[tuple[int, int]] = []
    token_sentence: list[int] = [0] * len(tokens)
    t = 0
    for s, (start, end) in enumerate(sentences):
        while t < len(tokens) and tokens[t].start < start:
            token_sentence[t] = max(s - 1, 0)
            t += 1
        lo = t
        while t < len(tokens) and tokens[t].end <= end:
            token_sentence[t] = s
            t += 1
        sentence_tokens.append((lo, t))
    while t < len(tokens):
        token_sentence[t] = max(len(sentences) - 1, 0)
        t += 1
    return Segmented(text, tokens, sentences, sentence_tokens, token_sentence)
