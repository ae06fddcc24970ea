"""What may become a link, and what a self-contained page may run.

Crawled records carry whatever their source wrote into ``url``: ``javascript:`` and
``data:`` URLs, mixed-case schemes, schemes hidden behind leading blanks or control
characters that browsers skip. Every page that turns a stored url into an ``href`` asks
``safe_url`` first and shows anything it refuses as plain (escaped) text, so a hostile
record can be read but never clicked into running code.
"""

from __future__ import annotations

import base64
import hashlib
import html
import unicodedata
from collections.abc import Sequence
from urllib.parse import urlsplit

LINK_SCHEMES = frozenset({"http", "https"})
# Control and format characters (tabs, newlines, NUL, DEL, C1, zero-width and bidi marks) and
# line/paragraph separators: browsers drop or mis-render some of them inside a URL, which is
# how "java\tscript:" or a spoofed host name gets past a check that read a different string.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL with a host, else None.

    Surrounding spaces are dropped (browsers drop them too); any control or format character
    left anywhere refuses the URL rather than guessing how a browser would read it. The scheme
    comes back lower-cased; the rest is as stored, for the caller to escape into the page.
    """
    if not url:
        return None
    url = url.strip(" ")
    if any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    scheme = parts.scheme.lower()
    if scheme not in LINK_SCHEMES or not host or not url[len(scheme) :].startswith("://"):
        return None
    if any(ch.isspace() for ch in parts.netloc):  # no browser reads such a host alike
        return None
    return scheme + url[len(scheme) :]


def url_html(url: str | None) -> str:
    """``url`` as a link when ``safe_url`` allows it, else as escaped text ("" for none)."""
    if not url:
        return ""
    href = safe_url(url)
    if href is None:
        return f'<span class="url">{html.escape(url)}</span>'
    link = f'<a href="{html.escape(href)}" rel="noopener noreferrer nofollow">'
    return link + f"{html.escape(url)}</a>"


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def inline_policy(scripts: Sequence[str] = (), styles: Sequence[str] = ()) -> str:
    """A Content-Security-Policy for a self-contained file: only these inline blocks run.

    A static report has no server to send headers, so the page carries the policy in a
    ``<meta>`` tag. Each ``<script>`` and ``<style>`` body is allowed by its hash; anything
    that slipped past escaping, or a style attribute, is refused, and nothing is fetched.
    """
    script_src = " ".join(_digest(s) for s in scripts) or "'none'"
    style_src = " ".join(_digest(s) for s in styles) or "'none'"
    return (
        f"default-src 'none'; script-src {script_src}; style-src {style_src}; "
        "img-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'"
    )
