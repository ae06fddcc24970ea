"""Where quoted words stand, from the quote marks alone.

Pairs opening and closing marks within a paragraph (" " “ ” ‘ ’ « » „), treating an apostrophe
inside a word ("Kata'ib", "Iraq’s") as no quote at all. A quote left open at the end of a
paragraph continues when the next paragraph opens with a quote mark, the newspaper convention
for quotes that run over several paragraphs. Unbalanced marks are dropped, never guessed.
"""

from __future__ import annotations

import re

from storytrace.model import Span

_OPEN_CLOSE = {"\u201c": "\u201d", "\u2018": "\u2019", "\u00ab": "\u00bb", "\u201e": "\u201c"}
_MARK = re.compile(r"[\"\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e']")
_MAX_QUOTE_CHARS = 20_000


def _is_apostrophe(text: str, i: int) -> bool:
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if text[i] not in "'\u2019":
        return False
    if before.isalnum() and after.isalnum():
        return True  # inside a word
    return before in "sS" and not after.isalnum() and text[i] == "'"  # plural possessive


def _role(text: str, i: int) -> str:
    """'open', 'close' or 'either' for the quote mark at ``i``."""
    ch = text[i]
    if ch in _OPEN_CLOSE:
        return "open" if ch != "\u201c" or i == 0 or not text[i - 1].isalnum() else "close"
    if ch in "\u201d\u00bb\u2019":
        return "close"
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if before.isspace() or before in "([-\u2014:" or i == 0:
        return "open"
    if after.isspace() or after in ".,;:!?)-\u2014" or i + 1 == len(text):
        return "close"
    return "either"


_SINGLE = frozenset("'\u2018\u2019")


def quoted_spans(text: str) -> list[Span]:
    """Spans of quoted words, outer quote marks excluded, in text order.

    Quotes nested inside a quote (single marks inside double ones) stay part of the outer span.
    """
    spans: list[Span] = []
    open_at: int | None = None
    open_single = False
    line_start = 0
    for match in _MARK.finditer(text):
        i = match.start()
        if _is_apostrophe(text, i):
            continue
        role, single = _role(text, i), text[i] in _SINGLE
        newline = text.rfind("\n", line_start, i)
        if newline != -1:
            line_start = newline + 1
            at_paragraph_start = not text[line_start:i].strip()
            if open_at is not None:
                if at_paragraph_start and role != "close" and single == open_single:
                    continue  # the quote runs on into this paragraph
                open_at = None  # never closed in its paragraph: unbalanced, dropped
        if open_at is None:
            if role != "close":
                open_at, open_single = i, single
        elif role != "open" and single == open_single:
            if i - open_at <= _MAX_QUOTE_CHARS:
                spans.append((open_at + 1, i))
            open_at = None
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip()]


def _trim(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
