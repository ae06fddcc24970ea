"""Page chrome in scraped plain text, moved into metadata.

Scrapers leave the site's furniture around the article: a date line, "News ID: 88947",
"Publish Date: 07 April 2021 - 22:02", bylines, breadcrumbs, share rows, "Related:" links,
a copyright line, a trailing "* Comment:". Only whole lines at the top or the bottom of the
text are ever considered, and only when a rule recognises them; the first line that no rule
recognises ends the search, so no sentence of the article can be lost. Every removed line is
kept in ``Chrome.stripped``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from storytrace.ingest.dates import parse_date

_MAX_CHROME_WORDS = 14
_SHARE_WORDS = frozenset(
    [
        "facebook",
        "twitter",
        "x",
        "whatsapp",
        "email",
        "e-mail",
        "linkedin",
        "telegram",
        "reddit",
        "print",
        "share",
        "pinterest",
        "messenger",
        "copy",
        "link",
        "tweet",
    ]
)


@dataclass
class Chrome:
    """What the chrome said: metadata found, and the lines taken out."""

    meta: dict[str, str] = field(default_factory=dict)
    published: str | None = None
    authors: list[str] = field(default_factory=list)
    outlet: str | None = None
    url: str | None = None
    stripped: list[str] = field(default_factory=list)


_ID = re.compile(
    r"^(?:news|article|story|post|content)\s*(?:id|no\.?|number)\s*[:#]?\s*(\S+)$", re.I
)
_DATED = re.compile(
    r"^(publish(?:ed)?(?:\s+(?:date|on|at))?|posted(?:\s+on)?|date(?:\s+published)?|"
    r"updated(?:\s+on)?|last\s+updated|modified)\s*[:\-\u2013]?\s*(.+)$",
    re.I,
)
_NAME = r"(?:[A-Z][\w.'\-]*\s*){1,4}"
_BYLINE = re.compile(rf"^[Bb]y\s+({_NAME}(?:(?:,|and|&)\s*{_NAME})*)$")
_URL = re.compile(r"^(?:url|source|link|permalink)\s*:\s*(https?://\S+)$", re.I)
_BREADCRUMB = re.compile(r"^[\w'&.\- ]+(?:\s*(?:\||>|\u00bb)\s*[\w'&.\- ]+){1,6}$")
_COPYRIGHT = re.compile(
    r"^(?:\u00a9|\(c\)|copyright)\s*(?:\u00a9\s*)?(?:\d{4}(?:\s*[-\u2013]\s*\d{4})?)?\s*(.*?)"
    r"(?:[.,]?\s*all rights reserved\.?)?$",
    re.I,
)
# A trailer line is a bare label ("Share this article", "* Comment:") or a label with a colon
# and its content ("Related: ..."); "Share prices fell" is neither.
_TRAILER = re.compile(
    r"^(?:\*\s*)?(?:comments?|leave a comment|add a comment|advertisement|you may also like"
    r"|recommended(?: for you)?|share(?: this(?: article| story| page)?)?|share on"
    r"|related(?: articles| stories| news)?|read more|more stories|most read)\s*:?\s*$"
    r"|^(?:related|read more|read also|also read|see also|tags?|topics?|filed under)\s*:\s*\S.*$"
    r"|^follow us on \w.*$|^sign up for .*newsletter.*$",
    re.I,
)


def _short(line: str) -> bool:
    return len(line.split()) <= _MAX_CHROME_WORDS


def _top_rule(line: str, found: Chrome) -> bool:
    """Record ``line`` as top chrome if a rule knows it."""
    if not _short(line):
        return False
    if m := _ID.match(line):
        found.meta["news_id"] = m.group(1)
        return True
    if m := _DATED.match(line):
        when = parse_date(m.group(2))
        if when is None:
            return False
        key = m.group(1).lower()
        if key.startswith(("updated", "last", "modified")):
            found.meta["updated"] = when
        elif found.published is None:
            found.published = when
        return True
    if m := _URL.match(line):
        found.url = m.group(1)
        return True
    if m := _BYLINE.match(line):
        names = re.split(r",|\band\b|&", m.group(1))
        found.authors.extend(n.strip() for n in names if n.strip())
        return True
    if (when := parse_date(line)) is not None and len(line.split()) <= 6:
        found.meta.setdefault("date_line", when)
        return True
    if _BREADCRUMB.match(line) and not line.rstrip().endswith((".", "!", "?")):
        found.meta.setdefault("breadcrumb", line)
        return True
    return False


def _bottom_rule(line: str, found: Chrome) -> bool:
    """Record ``line`` as bottom chrome if a rule knows it."""
    if not _short(line):
        return False
    if m := _COPYRIGHT.match(line):
        holder = m.group(1).strip(" .")
        if holder:
            found.outlet = found.outlet or holder
        return True
    if _TRAILER.match(line):
        return True
    words = [w for w in re.split(r"[\s|,\u00b7/]+", line.lower()) if w]
    return bool(words) and all(w in _SHARE_WORDS for w in words)


def strip_chrome(lines: list[str]) -> tuple[list[str], Chrome]:
    """Split ``lines`` (one paragraph each) into article lines and the chrome around them."""
    found = Chrome()
    start, end = 0, len(lines)
    while start < end and _top_rule(lines[start], found):
        found.stripped.append(lines[start])
        start += 1
    tail: list[str] = []
    while end > start and _bottom_rule(lines[end - 1], found):
        tail.append(lines[end - 1])
        end -= 1
    found.stripped.extend(reversed(tail))
    return lines[start:end], found


def split_title(lines: list[str]) -> tuple[str, list[str]]:
    """Take a headline off the top: a short first line without closing punctuation.

    Only when more text follows, so a one-paragraph note is never turned into a bare title.
    """
    if len(lines) < 2:
        return "", lines
    first = lines[0].strip()
    words = first.split()
    if 1 <= len(words) <= 25 and not first.endswith((".", "!", "?", '."', ".\u201d")):
        return first.rstrip(":").strip(), lines[1:]
    return "", lines
