"""Words with their character offsets, the unit of every alignment."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from storytrace.text.normalize import fold_token

# A word is a run of letters or digits, allowing inner apostrophes, dots and commas
# ("Kata'ib", "U.S", "2,500"); hyphens split words ("al-Muhandis" -> "al", "Muhandis"), so
# "anti-terror" and "anti terror" compare equal. Dotted acronyms keep their last dot ("U.S.").
_WORD = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W_]+(?:['\u2019.,][^\W_]+)*")

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "without",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "not",
        "no",
        "nor",
        "so",
        "than",
        "that",
        "this",
        "these",
        "those",
        "it",
        "its",
        "it's",
        "he",
        "she",
        "they",
        "them",
        "their",
        "his",
        "her",
        "we",
        "our",
        "you",
        "your",
        "i",
        "me",
        "my",
        "who",
        "whom",
        "whose",
        "which",
        "what",
        "when",
        "where",
        "why",
        "how",
        "all",
        "any",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
        "such",
        "only",
        "own",
        "same",
        "too",
        "very",
        "can",
        "will",
        "just",
        "should",
        "now",
        "also",
        "into",
        "over",
        "under",
        "after",
        "before",
        "about",
        "against",
        "between",
        "through",
        "during",
        "above",
        "below",
        "up",
        "down",
        "out",
        "off",
        "again",
        "further",
        "then",
        "once",
        "here",
        "there",
        "would",
        "could",
        "may",
        "might",
        "must",
        "said",
        "says",
        "say",
        "told",
    ]
)


@dataclass(frozen=True, slots=True)
class Token:
    """One word: its comparison key and where it stands in the text."""

    key: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into words; ``text[t.start:t.end]`` is each word as written."""
    return [Token(fold_token(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]


def word_keys(text: str, limit: int | None = None) -> list[str]:
    """Only the comparison keys (of the first ``limit`` words), for callers without offsets."""
    return [fold_token(m.group()) for m in itertools.islice(_WORD.finditer(text), limit)]


def content_keys(keys: list[str]) -> list[str]:
    """Keys that carry meaning: no stop words, no one-letter words."""
    return [k for k in keys if len(k) > 1 and k not in STOPWORDS]
