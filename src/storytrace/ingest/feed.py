"""RSS and Atom files: each item with full text (content:encoded, content) or its summary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from storytrace.ingest.dates import parse_date
from storytrace.ingest.html import fragment_text
from storytrace.ingest.outlet import domain_of
from storytrace.ingest.plaintext import build_article
from storytrace.model import Article, Rejected

MIN_ITEM_WORDS = 5


def _iso(entry: Any, *names: str) -> str | None:
    for name in names:
        raw = entry.get(name)
        if raw:
            when = parse_date(raw)
            if when:
                return when
    return None


def read_feed(data: bytes, source: str) -> Iterator[Article | Rejected]:
    """Articles from a feed document; items without text are rejected one by one."""
    import feedparser

    parsed = feedparser.parse(data)
    if not parsed.entries:
        reason = str(getattr(parsed, "bozo_exception", "")) or "no items"
        yield Rejected(source, f"not a readable RSS/Atom feed ({reason[:120]})")
        return
    channel = parsed.feed
    outlet = channel.get("title") or domain_of(channel.get("link"))
    language = (channel.get("language") or "").split("-")[0].lower() or None
    for n, entry in enumerate(parsed.entries, 1):
        where = f"{source}#{n}"
        html = ""
        if entry.get("content"):
            html = max((c.get("value", "") for c in entry["content"]), key=len)
        html = html or entry.get("summary", "")
        text = fragment_text(html) if html else ""
        if len(text.split()) < MIN_ITEM_WORDS:
            yield Rejected(where, "feed item has no text")
            continue
        url = entry.get("link")
        authors = [a.get("name", "") for a in entry.get("authors", []) if a.get("name")]
        yield build_article(
            text,
            title=entry.get("title", ""),
            source=where,
            url=url,
            outlet=outlet or domain_of(url),
            published=_iso(entry, "published", "updated", "created"),
            language=language,
            authors=authors or ([entry["author"]] if entry.get("author") else []),
            domain=domain_of(url),
        )
