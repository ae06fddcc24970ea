"""Reading articles: one reader per format, all yielding Articles (or Rejected records).

read_path(path)        every Article in a file (text, HTML, JSON, JSONL, CSV, feed, WARC)
load_article(x)        exactly one Article from a path, "path#N" (N from 1), raw text, or an Article
Metadata               an outlet, date, title and url for records that carry none
SIDECAR                "storytrace.csv": a folder's file -> outlet, published, title, url
"""

from __future__ import annotations

import re
from pathlib import Path

from storytrace.errors import InputError
from storytrace.ingest.limits import DEFAULT_LIMITS, Limits
from storytrace.ingest.load import display_path
from storytrace.ingest.metadata import NONE, SIDECAR, Metadata
from storytrace.ingest.readers import FORMATS, detect_format, read_path
from storytrace.ingest.records import FieldMap
from storytrace.model import Article, Rejected

__all__ = [
    "DEFAULT_LIMITS",
    "FORMATS",
    "SIDECAR",
    "FieldMap",
    "Limits",
    "Metadata",
    "detect_format",
    "load_article",
    "read_path",
]

_RECORD_SUFFIX = re.compile(r"^(.*)#(\d+)$")


def _from_file(path: Path, record: int | None, limits: Limits, metadata: Metadata) -> Article:
    """Record ``record`` (from 1) of the file, or its only article; read only as far as needed."""
    items = read_path(path, limits=limits, metadata=metadata)
    if record is not None:
        seen = 0
        for seen, chosen in enumerate(items, 1):
            if seen == record:
                if isinstance(chosen, Rejected):
                    raise InputError(f"{chosen.source}: {chosen.reason}")
                return chosen
        raise InputError(f"{display_path(path)}: has {seen} records, no #{record}")
    first = next(items, None)
    second = next(items, None)
    if second is not None:
        total = 2 + sum(1 for _ in items)
        raise InputError(
            f"{display_path(path)}: holds {total} records; pick one as {display_path(path)}#N "
            f"(N from 1 to {total})"
        )
    if isinstance(first, Article):
        return first
    reason = first.reason if isinstance(first, Rejected) else "no article found"
    raise InputError(f"{display_path(path)}: {reason}")


_FILE_ENDING = re.compile(
    r"\.(?:txt|text|md|html?|xhtml|json|jsonl|ndjson|csv|tsv|xml|rss|atom|warc|arc|gz|bz2|xz|zst)"
    r"(?:#\d+)?$",
    re.IGNORECASE,
)


def _names_a_file(text: str) -> bool:
    """Whether a string that is no existing path was still meant as one: a single word
    (most likely a mistyped name) or a name ending in a file extension."""
    return len(text.split()) < 2 or bool(_FILE_ENDING.search(text.strip()))


def _exists(name: str) -> bool:
    """Whether ``name`` is an existing path; a text too long to be a file name is not one."""
    try:
        return Path(name).exists()
    except OSError:  # ENAMETOOLONG: one line of article text, not a path
        return False


def load_article(
    value: str | Path | Article, limits: Limits = DEFAULT_LIMITS, metadata: Metadata = NONE
) -> Article:
    """One Article from a path (``feed.xml#3`` picks a record, counting from 1), a text, or
    an Article.

    A string that names an existing file is read as that file. A missing one is reported
    as missing when it looks like a file name (one word, or ending in a file extension such
    as ``.txt`` or ``.html#2``); any other string ("Minister resigns") is the article text. What the
    article lacks comes from the sidecar beside its file, else from ``metadata``.
    """
    if isinstance(value, Article):
        return metadata.fill(value)
    if isinstance(value, Path):
        match = _RECORD_SUFFIX.match(str(value))
        if not value.exists() and match and Path(match.group(1)).exists():
            return _from_file(Path(match.group(1)), int(match.group(2)), limits, metadata)
        return _from_file(value, None, limits, metadata)
    text = str(value)
    looks_like_path = "\n" not in text and len(text) < 4096
    if looks_like_path:
        if _exists(text):
            return _from_file(Path(text), None, limits, metadata)
        match = _RECORD_SUFFIX.match(text)
        if match and _exists(match.group(1)):
            return _from_file(Path(match.group(1)), int(match.group(2)), limits, metadata)
        if _names_a_file(text):
            raise InputError(f"{text}: no such file")
    from storytrace.ingest.plaintext import parse_plaintext

    article = parse_plaintext(text)
    if not article.text.strip():
        raise InputError("the text is empty")
    return metadata.fill(article)
