"""Normalisation that makes two outlets' renderings of the same words compare equal.

Outlets differ in quote marks (" “ ” « »), apostrophes (' ’), dashes, case, accents, "U.S." vs
"US" and "2,500" vs "2500". ``fold`` evens out a whole text for display-independent matching;
``fold_token`` reduces one word to the key the aligner and the shingler compare.
"""

from __future__ import annotations

import re
import unicodedata

# one outlet's typography against another's: what each mark is read as
TYPOGRAPHIC: dict[str, str] = {
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2033": '"',
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u2039": "'",
    "\u203a": "'",
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u200b": "",
    "\ufeff": "",
}
_QUOTE_MAP = str.maketrans(TYPOGRAPHIC)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_INNER_PUNCT = re.compile(r"['.]")
_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d)")
_POSSESSIVE = re.compile(r"'s$")


def strip_accents(text: str) -> str:
    """Drop combining marks: "Kadhimī" and "Kadhimi" become the same word."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """NFKC, one kind of quote, apostrophe and dash, single spaces; case is kept."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTE_MAP)
    return _SPACES.sub(" ", text)


def fold_token(word: str) -> str:
    """The comparison key of one word: lower case, no accents, "U.S." -> "us", "2,500" -> "2500".

    A trailing possessive is dropped ("Iraq's" -> "iraq"), so "Iraq's parliament" still matches
    "Iraq parliament"; inner apostrophes go ("Kata'ib" -> "kataib").
    """
    if word.isascii() and word.isalnum():  # most words: nothing to map, strip or drop
        return word.lower()
    key = strip_accents(word.translate(_QUOTE_MAP)).casefold()
    key = _POSSESSIVE.sub("", key)
    key = _DIGIT_COMMA.sub("", key)
    key = _INNER_PUNCT.sub("", key) if not any(ch.isdigit() for ch in key) else key.replace("'", "")
    return key
