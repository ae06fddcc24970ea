"""HTML pages: main text by trafilatura, metadata from the page's own declarations.

trafilatura finds the article body; the page's meta tags, JSON-LD and ``<time>`` elements
say when, where and by whom it was published more precisely than a guess from the text, so
they are read first and htmldate is the fallback for the date. The extracted text then gets
the same edge-chrome cleaning as plain-text scrapes, and a repeated headline or a lone
section label at its top is moved out.
"""

from __future__ import annotations

import json
import re
from typing import Any

from storytrace.errors import InputError
from storytrace.ingest.chrome import strip_chrome
from storytrace.ingest.dates import parse_date
from storytrace.ingest.outlet import domain_from_path, domain_of
from storytrace.ingest.paragraphs import to_paragraphs
from storytrace.ingest.plaintext import build_article
from storytrace.model import Article
from storytrace.text.normalize import fold

MIN_ARTICLE_WORDS = 25
_DATE_META = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "date",
    "pubdate",
    "publishdate",
    "publish-date",
    "dc.date.issued",
    "dc.date",
    "dcterms.created",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
    "published_time",
)
_SITE_META = ("og:site_name", "application-name", "publisher", "twitter:site")
_TITLE_SEPARATORS = re.compile(r"\s+[|\u2013\u2014:-]\s+")


def _meta_map(tree: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for node in tree.iter("meta"):
        key = (node.get("property") or node.get("name") or node.get("itemprop") or "").lower()
        value = (node.get("content") or "").strip()
        if key and value:
            found.setdefault(key, value)
    return found


def _json_ld(tree: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for node in tree.iter("script"):
        if (node.get("type") or "").lower() != "application/ld+json" or not node.text:
            continue
        try:
            data = json.loads(node.text)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                items.append(item)
                stack.extend(v for v in item.get("@graph", []) if isinstance(v, dict))
    return items


def _page_metadata(html: str) -> dict[str, str]:
    """Title, date, site, URL, author and language as the page declares them."""
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except (ValueError, TypeError) as exc:
        raise InputError(f"not parseable as HTML ({exc})") from exc
    if not hasattr(tree, "iter"):
        return {}
    meta = _meta_map(tree)
    out: dict[str, str] = {}
    for item in _json_ld(tree):
        if item.get("datePublished"):
            out.setdefault("published", str(item["datePublished"]))
        publisher = item.get("publisher")
        if isinstance(publisher, dict) and publisher.get("name"):
            out.setdefault("site", str(publisher["name"]))
        if item.get("headline"):
            out.setdefault("title", str(item["headline"]))
    for key in _DATE_META:
        if key in meta:
            out.setdefault("published", meta[key])
    if "published" not in out:
        for node in tree.iter("time"):
            if node.get("datetime"):
                out["published"] = node.get("datetime")
                break
    for key in _SITE_META:
        if key in meta and not meta[key].startswith("@"):
            out.setdefault("site", meta[key])
    for node in tree.iter("link"):
        if (node.get("rel") or "").lower() == "canonical" and node.get("href"):
            out["url"] = node.get("href").strip()
            break
    if "url" not in out and "og:url" in meta:
        out["url"] = meta["og:url"]
    if "og:title" in meta:
        out.setdefault("title", meta["og:title"])
    if "author" in meta:
        out["author"] = meta["author"]
    lang = tree.get("lang") or meta.get("og:locale") or meta.get("content-language")
    if lang:
        out["language"] = lang.split("-")[0].split("_")[0].lower()
    return out


def _is_title_echo(line: str, title: str) -> bool:
    if not title:
        return False
    return fold(line).casefold().strip(" .:") == fold(title).casefold().strip(" .:")


def _trim_top(lines: list[str], title: str, categories: set[str]) -> tuple[list[str], list[str]]:
    """Drop a repeated headline and one- or two-word section labels above it."""
    removed: list[str] = []
    while lines:
        line = lines[0]
        is_label = len(line.split()) <= 2 and not line.endswith((".", "!", "?"))
        if _is_title_echo(line, title) or (
            is_label
            and (
                line.casefold() in categories
                or (len(lines) > 1 and _is_title_echo(lines[1], title))
            )
        ):
            removed.append(lines.pop(0))
            continue
        break
    return lines, removed


def _clean_title(title: str, site: str | None) -> str:
    """ "Thousands flee - The Harbor Tribune" -> "Thousands flee"."""
    if site:
        parts = _TITLE_SEPARATORS.split(title)
        if len(parts) > 1 and fold(parts[-1]).casefold() == fold(site).casefold():
            return _TITLE_SEPARATORS.split(title, maxsplit=len(parts) - 2)[0].strip()
    return title.strip()


def extract_main_text(html: str, url: str | None = None) -> Any:
    """trafilatura's document for ``html`` (None when it finds no main text)."""
    import trafilatura

    return trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        favor_recall=True,
    )


def parse_html(html: str, source: str | None = None) -> Article:
    """An Article from one HTML page; InputError when the page holds no article text."""
    page = _page_metadata(html)
    document = extract_main_text(html, page.get("url"))
    text = to_paragraphs(getattr(document, "text", None) or "") if document is not None else ""
    if len(text.split()) < MIN_ARTICLE_WORDS:
        raise InputError("no article text found in the HTML page")
    url = page.get("url") or getattr(document, "url", None)
    site = page.get("site") or getattr(document, "sitename", None)
    title = _clean_title(page.get("title") or getattr(document, "title", None) or "", site)
    categories = {c.strip().casefold() for c in (getattr(document, "categories", None) or [])}
    categories.update({"news", "home", "world", "local", "politics", "business", "sport", "sports"})

    lines, removed = _trim_top(text.split("\n"), title, categories)
    body, chrome = strip_chrome(lines)
    chrome.stripped[:0] = removed

    published = parse_date(page.get("published", "")) if page.get("published") else None
    if published is None:
        published = chrome.published or _htmldate(html)
    authors = [
        a.strip()
        for a in re.split(
            r";|,| and ", page.get("author") or getattr(document, "author", None) or ""
        )
        if a.strip()
    ]
    domain = (
        domain_of(url) or domain_of(getattr(document, "hostname", None)) or domain_from_path(source)
    )
    return build_article(
        "\n".join(body),
        title=title,
        chrome=chrome,
        source=source,
        url=url,
        outlet=site or chrome.outlet or domain,
        published=published,
        language=page.get("language"),
        authors=authors or chrome.authors,
        domain=domain,
    )


_BLOCKS = frozenset(
    [
        "p",
        "div",
        "br",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "tr",
        "section",
        "article",
        "pre",
    ]
)


def fragment_text(fragment: str) -> str:
    """Text of an HTML fragment (a feed item, a CSV cell) with one line per block element."""
    from lxml import html as lxml_html

    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except (ValueError, TypeError):
        return re.sub(r"<[^>]+>", " ", fragment)
    for node in list(root.iter("script", "style")):
        node.drop_tree()
    parts: list[str] = []

    def walk(node: Any) -> None:
        if node.tag in _BLOCKS:
            parts.append("\n")
        if node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str):
                walk(child)
            if child.tail:
                parts.append(child.tail)
        if node.tag in _BLOCKS:
            parts.append("\n")

    walk(root)
    return to_paragraphs("".join(parts))


def _htmldate(html: str) -> str | None:
    from htmldate import find_date

    try:
        found = find_date(html, extensive_search=True, original_date=True)
    except Exception:  # htmldate raises many kinds on malformed pages; a date is optional
        return None
    return parse_date(found) if found else None
