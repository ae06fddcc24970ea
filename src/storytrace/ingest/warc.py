"""WARC and WARC.gz: every HTML response record becomes an Article.

Other records (requests, metadata, images) are passed over silently; a response that is
not an article page, or a corrupt record, becomes a Rejected with its reason. A corrupt
stretch ends the file (a WARC cannot be resynchronised), keeping what came before it.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from storytrace.errors import InputError
from storytrace.ingest.load import MAX_DOCUMENT_BYTES, decode
from storytrace.ingest.outlet import domain_of
from storytrace.model import Article, Rejected


def read_warc(path: Path, source: str) -> Iterator[Article | Rejected]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    from storytrace.ingest.html import parse_html

    with path.open("rb") as handle:
        records = ArchiveIterator(handle)
        n = 0
        while True:
            try:
                record = next(records)
            except StopIteration:
                return
            except (ArchiveLoadFailed, OSError, EOFError, ValueError, zlib.error) as exc:
                yield Rejected(
                    f"{source}#{n + 1}", f"corrupt WARC data, rest of file skipped ({exc})"
                )
                return
            if record.rec_type != "response" or record.http_headers is None:
                continue
            n += 1
            url = record.rec_headers.get_header("WARC-Target-URI")
            where = f"{source}#{n}" if not url else f"{source}#{n} {url}"
            kind = (record.http_headers.get_header("Content-Type") or "").lower()
            if "html" not in kind:
                continue
            try:
                body = record.content_stream().read(MAX_DOCUMENT_BYTES + 1)
            except (OSError, EOFError, ValueError, zlib.error) as exc:
                yield Rejected(where, f"corrupt WARC record ({exc})")
                return
            if len(body) > MAX_DOCUMENT_BYTES:
                yield Rejected(where, "page larger than 10 MB")
                continue
            try:
                article = parse_html(decode(body, where), url or where)
            except InputError as exc:
                yield Rejected(where, str(exc))
                continue
            if url and not article.url:
                article = replace(article, url=url, outlet=article.outlet or domain_of(url))
            yield article
