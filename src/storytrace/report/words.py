"""The words every report uses for what is missing, and for counts.

One set, shared by the terminal and the HTML pages, so an article without an outlet reads
"unknown outlet" everywhere rather than "?" here and "unknown" there, and a count agrees
with its noun ("1 article", "2 articles"). JSON keeps ``null`` for a missing value; these
words are only for what a person reads.
"""

from __future__ import annotations

from pathlib import PurePath

UNKNOWN_OUTLET = "unknown outlet"
UNDATED = "undated"
UNTITLED = "(untitled)"
UNKNOWN_SPEAKER = "unknown speaker"

_PLURALS = {"story": "stories", "passage": "passages", "quote": "quotes", "is": "are"}


def outlet(name: str | None) -> str:
    """An outlet's name, or UNKNOWN_OUTLET."""
    return name or UNKNOWN_OUTLET


def date(value: str | None, length: int | None = None) -> str:
    """A date or time as stored (cut to ``length`` characters), or UNDATED."""
    if not value:
        return UNDATED
    return value[:length] if length else value


def title(value: str | None) -> str:
    """A headline, or UNTITLED."""
    return value or UNTITLED


def speaker(name: str | None) -> str:
    """Who said it, or UNKNOWN_SPEAKER."""
    return name or UNKNOWN_SPEAKER


def article_name(title_text: str | None, source: str | None) -> str:
    """What to call an article in a heading: its headline, else its file's name, else UNTITLED.

    A record of a container keeps its number ("wire.jsonl#2"), so two records of one file
    are told apart.
    """
    if title_text:
        return title_text
    if source:
        return PurePath(source).name or source
    return UNTITLED


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and its noun in agreement: "1 article", "2 articles", "1,204 stories"."""
    if n == 1:
        return f"1 {noun}"
    return f"{n:,} {plural or _PLURALS.get(noun) or noun + 's'}"
