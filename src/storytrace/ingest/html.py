"""HTML pages: main text by trafilatura, metadata from the page's own declarations.

The page is parsed once. trafilatura finds the article body; the page's meta tags, JSON-LD
and ``<time>`` elements say when, where and by whom it was published more precisely than a
guess from the text, so they are read first and htmldate is the fallback for the date. The
extracted text then gets the same edge-chrome cleaning as plain-text scrapes, and a
repeated headline or a lone section label at its top is moved out.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Callable
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
_AUTHOR_META = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator")
_TITLE_SEPARATORS = re.compile(r"\s+[|\u2013\u2014:-]\s+")
# <title> glues the headline to the site and section names: "Headline - Site",
# "Site | Section | Headline", "TV3 > News > Story > Headline", "Site :: Headline".
_TITLE_PARTS = re.compile(r"\s+(?:[|\u2013\u2014:>\u00bb\u2022\u00b7~-]|::)\s+")
_SEPARATOR_CHARS = " |:>\u00bb\u2022\u00b7~-\u2013\u2014"
_WORD = re.compile(r"\w+")
_MAX_TITLE_WORDS = 30
# XHTML pages open with ``<?xml version="1.0" encoding="..."?>``. Once the page is a decoded
# str the declared encoding is stale (and sometimes garbage), and lxml refuses a str that
# carries one, so it is dropped before any parser sees the page. A declaration cannot hold
# a ">", so it ends at the first one, whether or not a "?" precedes it: broken pages leave
# it unclosed and run straight into a meta tag.
_XML_DECLARATION = re.compile(r"^[\ufeff\s]*<\?xml\b[^>]*>")


def without_xml_declaration(markup: str) -> str:
    """``markup`` without a leading ``<?xml ...?>`` declaration, which lxml rejects in a str."""
    return _XML_DECLARATION.sub("", markup, count=1)


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


def _parse_tree(html: str) -> Any:
    """The page as an lxml tree, parsed once and shared by every step that reads it.

    trafilatura's loader parses it (comments and processing instructions dropped, broken
    markup repaired), so the main text is what trafilatura finds in a page it parsed itself;
    a page that loader gives up on is parsed by plain lxml, whose error is the rejection.
    """
    import trafilatura
    from lxml import html as lxml_html
    from lxml.etree import LxmlError

    html = without_xml_declaration(html)
    tree = trafilatura.load_html(html)
    if tree is not None:
        return tree
    try:
        return lxml_html.fromstring(html)
    except (ValueError, TypeError, LxmlError) as exc:  # "Document is empty" is an LxmlError
        raise InputError(f"not parseable as HTML ({exc})") from exc


def _names(value: Any) -> list[str]:
    """Author names from a JSON-LD ``author`` value: a string, a Person, or a list of them."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip():
            names.append(" ".join(name.split()))
    return names


def _read_page(tree: Any) -> tuple[dict[str, str], list[str]]:
    """The page's declared metadata, and its h1-h3 headings in document order.

    The headings are kept because the headline is usually one of them, but not always the
    first or the only h1: blogs put their own name in the h1 and the post title in an h2.
    """
    if not hasattr(tree, "iter"):
        return {}, []
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
        if item.get("author") and (names := _names(item["author"])):
            out.setdefault("author", "; ".join(names))
        if item.get("articleSection") and isinstance(item["articleSection"], str):
            out.setdefault("section", item["articleSection"])
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
    for key in ("og:title", "twitter:title"):
        if key in meta:
            out.setdefault("title", meta[key])
    for node in tree.iter("title"):
        if _words(node.text_content()):
            out["html_title"] = " ".join(node.text_content().split())
            break
    for key in _AUTHOR_META:
        if key in meta and not meta[key].startswith(("http", "@")):
            out.setdefault("author", meta[key])
    if "section" not in out and "article:section" in meta:
        out["section"] = meta["article:section"]
    lang = tree.get("lang") or meta.get("og:locale") or meta.get("content-language")
    if lang:
        out["language"] = lang.split("-")[0].split("_")[0].lower()
    headings = []
    for node in tree.iter("h1", "h2", "h3"):
        text = " ".join(node.text_content().split())
        if 0 < len(text.split()) <= _MAX_TITLE_WORDS:
            headings.append(text)
    return out, headings


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


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(text).casefold())


def _squashed(text: str) -> str:
    return "".join(_words(text))


def _site_names(site: str | None, domain: str | None) -> set[str]:
    """Squashed forms a site's name takes in a <title>: "Reuters.com", "reuters", "The Times"."""
    names = {_squashed(site)} if site else set()
    if domain:
        host = domain.casefold().removeprefix("www.")
        names.update({_squashed(host), _squashed(host.split(".")[0])})
    return names - {""}


def _is_site_name(text: str, names: set[str]) -> bool:
    squashed = _squashed(text)
    return bool(squashed) and any(
        squashed == name
        or (len(name) >= 4 and squashed.startswith(name) and len(squashed) <= 2 * len(name))
        for name in names
    )


def _choose_title(
    declared: str,
    html_title: str,
    headings: list[str],
    top_lines: list[str],
    names: set[str],
    fallback: Callable[[], str | None] = lambda: None,
) -> str:
    """The headline, from the page's own evidence, most trusted first.

    1. A headline the page declares (JSON-LD ``headline``, ``og:title``, ``twitter:title``).
    2. A heading or one of the first lines of the main text that <title> repeats: <title>
       holds the headline on nearly every news page but glued to site and section names,
       and the heading gives its exact wording (<title> is often cut short).
    3. A heading that opens the main text.
    4. The longest part of <title> that is not the site's name.
    5. ``fallback()``: trafilatura's title rule, which takes the only h1 (on blogs, the
       blog's name) or a heading classed as a title; it is called only when needed.
    No step returns the site's own name: that is the outlet, not a headline.
    """
    if declared and not _is_site_name(declared, names):
        return declared
    parts = [part.strip(_SEPARATOR_CHARS) for part in _TITLE_PARTS.split(html_title)]
    parts = [part for part in parts if _words(part)]
    content = [part for part in parts if not _is_site_name(part, names)]
    title_words = Counter(_words(" ".join(content)))
    best, best_shared = "", 1
    for candidate in [*headings, *top_lines]:
        tokens = Counter(_words(candidate))
        size = sum(tokens.values())
        if not size or size > _MAX_TITLE_WORDS or _is_site_name(candidate, names):
            continue
        shared = sum((tokens & title_words).values())
        if shared / size >= 0.75 and shared > best_shared:
            best, best_shared = candidate, shared
    if best:
        return best
    opening = {_squashed(line) for line in top_lines[:3]}
    for heading in headings:
        opens_text = len(heading.split()) >= 3 and _squashed(heading) in opening
        if opens_text and not _is_site_name(heading, names):
            return heading
    if content:
        longest = max(content, key=lambda part: len(_words(part)))
        return longest if len(_words(longest)) >= 3 or len(content) == 1 else " - ".join(content)
    title = fallback() or ""
    return "" if _is_site_name(title, names) else title


def _trafilatura_title(tree: Any) -> str | None:
    from trafilatura.metadata import extract_title

    try:
        return extract_title(tree)
    except Exception:  # a heuristic over odd markup; the headline is optional
        return None


def _clean_title(title: str, site: str | None) -> str:
    """ "Thousands flee - The Harbor Tribune" -> "Thousands flee"."""
    if site:
        parts = _TITLE_SEPARATORS.split(title)
        if len(parts) > 1 and fold(parts[-1]).casefold() == fold(site).casefold():
            return _TITLE_SEPARATORS.split(title, maxsplit=len(parts) - 2)[0].strip()
    return title.strip()


def extract_main_text(tree: Any, url: str | None = None) -> Any:
    """trafilatura's document for the parsed page (None when it finds no main text).

    trafilatura's own metadata pass is off: it costs a third of the time per page
    (author, categories, a non-extensive htmldate search), and ``_read_page`` reads the
    same declarations from the tree already parsed. trafilatura works on a copy of the
    tree, so the page can still be searched for a date afterwards.
    """
    import trafilatura

    # favor_recall stays on: measured on L3S-GN1 and Dragnet (2,002 pages, 2026-11-30), the
    # default precision setting scores better on L3S-GN1 (macro F1 +0.007) but worse on
    # Dragnet (-0.008) and overall (0.897 vs 0.901), and rejects more pages as too short;
    # favor_precision rejects 36 pages instead of 17; precision first with recall only for
    # short results gained nothing at any threshold tried.
    return trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=False,
        include_comments=False,
        include_tables=True,
        include_images=False,
        favor_recall=True,
    )


def parse_html(html: str, source: str | None = None, url: str | None = None) -> Article:
    """An Article from one HTML page; InputError when the page holds no article text.

    ``url`` is where the page was fetched from (a WARC record's target), used when the
    page does not name its own canonical address.
    """
    tree = _parse_tree(html)
    page, headings = _read_page(tree)
    if url and not page.get("url"):
        page["url"] = url
    document = extract_main_text(tree, page.get("url")) if hasattr(tree, "iter") else None
    text = to_paragraphs(getattr(document, "text", None) or "") if document is not None else ""
    if len(text.split()) < MIN_ARTICLE_WORDS:
        raise InputError("no article text found in the HTML page")
    url = page.get("url")
    site = page.get("site")
    names = _site_names(site, domain_of(url))
    top_lines = [line for line in text.split("\n")[:5] if len(line.split()) <= _MAX_TITLE_WORDS]
    title = _clean_title(
        _choose_title(
            page.get("title", ""),
            page.get("html_title", ""),
            headings,
            top_lines,
            names,
            functools.partial(_trafilatura_title, tree),
        ),
        site,
    )
    categories = {page["section"].strip().casefold()} if page.get("section") else set()
    categories.update({"news", "home", "world", "local", "politics", "business", "sport", "sports"})

    lines, removed = _trim_top(text.split("\n"), title, categories)
    body, chrome = strip_chrome(lines)
    chrome.stripped[:0] = removed

    published = parse_date(page.get("published", "")) if page.get("published") else None
    if published is None:
        published = chrome.published or _htmldate(tree)
    authors = [a.strip() for a in re.split(r";|,| and ", page.get("author") or "") if a.strip()]
    domain = domain_of(url) or domain_from_path(source)
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
    from lxml.etree import LxmlError

    try:
        root = lxml_html.fragment_fromstring(without_xml_declaration(fragment), create_parent="div")
    except (ValueError, TypeError, LxmlError):
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


def _htmldate(tree: Any) -> str | None:
    from htmldate import find_date

    try:
        found = find_date(tree, extensive_search=True, original_date=True)
    except Exception:  # htmldate raises many kinds on malformed pages; a date is optional
        return None
    return parse_date(found) if found else None
