"""Reading articles: one reader per format, all yielding Articles (or Rejected records).

read_path(path)        every Article in a file (text, HTML, JSON, JSONL, CSV, feed, WARC)
load_article(x)        exactly one Article from a path, "path#N", raw text, or an Article
"""

from __future__ import annotations

import re
from pathlib import Path

from storytrace.errors import InputError
from storytrace.ingest.readers import FORMATS, detect_format, read_path
from storytrace.ingest.records import FieldMap
from storytrace.model import Article, Rejected

__all__ = ["FORMATS", "FieldMap", "detect_format", "load_article", "read_path"]

_RECORD_SUFFIX = re.compile(r"^(.*)#(\d+)$")


def _from_file(path: Path, record: int | None) -> Article:
    items = list(read_path(path))
    articles = [item for item in items if isinstance(item, Article)]
    if record is not None:
        if not 1 <= record <= len(items):
            raise InputError(f"{path}: has {len(items)} records, no #{record}")
        chosen = items[record - 1]
        if isinstance(chosen, Rejected):
            raise InputError(f"{chosen.source}: {chosen.reason}")
        return chosen
    if len(articles) == 1 and len(items) == 1:
        return articles[0]
    if not articles:
        reason = items[0].reason if items and isinstance(items[0], Rejected) else "no article found"
        raise InputError(f"{path}: {reason}")
    raise InputError(f"{path}: holds {len(items)} records; pick one as {path}#N (1..{len(items)})")


def load_article(value: str | Path | Article) -> Article:
    """One Article from a path (``feed.xml#3`` picks a record), a text, or an Article.

    A string that names an existing file is read as that file; any other string with a
    newline or longer than a path could be is taken as the article text itself.
    """
    if isinstance(value, Article):
        return value
    if isinstance(value, Path):
        match = _RECORD_SUFFIX.match(str(value))
        if not value.exists() and match and Path(match.group(1)).exists():
            return _from_file(Path(match.group(1)), int(match.group(2)))
        return _from_file(value, None)
    text = str(value)
    looks_like_path = "\n" not in text and len(text) < 4096
    if looks_like_path:
        if Path(text).exists():
            return _from_file(Path(text), None)
        match = _RECORD_SUFFIX.match(text)
        if match and Path(match.group(1)).exists():
            return _from_file(Path(match.group(1)), int(match.group(2)))
        if len(text.split()) < 3:
            raise InputError(f"{text}: no such file")
    from storytrace.ingest.plaintext import parse_plaintext

    article = parse_plaintext(text)
    if not article.text.strip():
        raise InputError("the text is empty")
    return article
