"""RSS and Atom files: each item with full text (content:encoded, content) or its summary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from storytrace.ingest.dates import parse_date
from storytrace.ingest.html import fragment_text
from storytrace.ingest.limits import DEFAULT_LIMITS, Limits, size_text
from storytrace.ingest.outlet import domain_of
from storytrace.ingest.plaintext import build_article
from storytrace.ingest.records import guarded
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


def read_feed(
    data: bytes, source: str, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Article | Rejected]:
    """Articles from a feed document; items without text are rejected one by one."""
    import feedparser

    try:
        parsed = feedparser.parse(data)
    except Exception as exc:
        yield Rejected(source, f"not a readable RSS/Atom feed ({type(exc).__name__})")
        return
    if not parsed.entries:
        reason = str(getattr(parsed, "bozo_exception", "")) or "no items"
        yield Rejected(source, f"not a readable RSS/Atom feed ({reason[:120]})")
        return
    channel = parsed.feed
    outlet = _text(channel.get("title")) or domain_of(_text(channel.get("link")))
    language = (_text(channel.get("language")) or "").split("-")[0].lower() or None
    for n, entry in enumerate(parsed.entries, 1):
        where = f"{source}#{n}"
        yield guarded(
            where,
            lambda entry=entry, where=where: _item(entry, where, outlet, language, limits),
        )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _item(
    entry: Any, where: str, outlet: str | None, language: str | None, limits: Limits
) -> Article | Rejected:
    html = ""
    if entry.get("content"):
        html = max((str(c.get("value", "")) for c in entry["content"]), key=len)
    html = html or str(entry.get("summary", ""))
    if len(html.encode("utf-8", "replace")) > limits.max_record_bytes:
        return Rejected(
            where,
            f"feed item larger than {size_text(limits.max_record_bytes)} (raise with --max-record-mb)",
        )
    text = fragment_text(html) if html else ""
    if len(text.split()) < MIN_ITEM_WORDS:
        return Rejected(where, "feed item has no text")
    url = _text(entry.get("link"))
    authors = [a.get("name", "") for a in entry.get("authors", []) if a.get("name")]
    return build_article(
        text,
        title=_text(entry.get("title")) or "",
        source=where,
        url=url,
        outlet=outlet or domain_of(url),
        published=_iso(entry, "published", "updated", "created"),
        language=language,
        authors=authors or ([entry["author"]] if _text(entry.get("author")) else []),
        domain=domain_of(url),
    )
