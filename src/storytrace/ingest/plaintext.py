"""Plain-text articles, including raw page scrapes with their chrome."""

from __future__ import annotations

from storytrace.errors import InputError
from storytrace.ingest.chrome import Chrome, split_title, strip_chrome
from storytrace.ingest.language import guess_language
from storytrace.ingest.outlet import domain_from_path
from storytrace.ingest.paragraphs import to_paragraphs
from storytrace.model import Article


def parse_plaintext(text: str, source: str | None = None) -> Article:
    """An Article from plain text: chrome moved to metadata, a headline line to ``title``."""
    lines = to_paragraphs(text).split("\n")
    body, chrome = strip_chrome(lines)
    title, body = split_title(body)
    domain = domain_from_path(source)
    return build_article("\n".join(body), title=title, chrome=chrome, source=source, domain=domain)


def build_article(
    text: str,
    *,
    title: str = "",
    chrome: Chrome | None = None,
    source: str | None = None,
    url: str | None = None,
    outlet: str | None = None,
    published: str | None = None,
    language: str | None = None,
    authors: tuple[str, ...] | list[str] = (),
    domain: str | None = None,
    meta: dict[str, str] | None = None,
) -> Article:
    """Assemble an Article, letting explicit fields win over what the chrome said.

    An article needs a body: text that was all page furniture (a lone date line, a
    breadcrumb) is refused here, so no reader can store an empty article.
    """
    if not text.strip():
        raise InputError("no article text (what is there is page furniture only)")
    chrome = chrome or Chrome()
    fields = {**chrome.meta, **(meta or {})}
    if domain:
        fields.setdefault("domain", domain)
    return Article(
        text=text,
        title=title,
        url=url or chrome.url,
        outlet=outlet or chrome.outlet or fields.get("domain"),
        published=published or chrome.published,
        language=language or guess_language(text),
        authors=tuple(authors) or tuple(chrome.authors),
        source=source,
        stripped=tuple(chrome.stripped),
        meta=tuple(sorted((k, str(v)) for k, v in fields.items() if v)),
    )
