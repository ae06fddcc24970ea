"""Who published an article, from a site name, a URL or where the file sits."""

from __future__ import annotations

import re
from pathlib import PurePath
from urllib.parse import urlsplit

_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$", re.I)


def domain_of(url: str | None) -> str | None:
    """ "https://www.harbortribune.example/news/..." -> "harbortribune.example"."""
    if not url or not isinstance(url, str):
        return None
    try:  # a malformed URL ("http://[oops/x", "http://\u2100.com/") names no domain
        host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    except ValueError:
        return None
    host = host.lower().removeprefix("www.")
    return host if _DOMAIN.match(host) else None


def domain_from_path(path: str | None) -> str | None:
    """A folder named like a domain ("valleycourier.example/x.txt") names the outlet."""
    if not path:
        return None
    for part in reversed(PurePath(path).parts[:-1]):
        if _DOMAIN.match(part):
            return part.lower().removeprefix("www.")
    return None
