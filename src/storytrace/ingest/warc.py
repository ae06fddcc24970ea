"""WARC and WARC.gz: every HTML response record becomes an Article.

Other records (requests, metadata, images) are passed over silently; a response that is
not an article page, or a corrupt record, becomes a Rejected with its reason. Whatever
goes wrong inside one record (warcio itself raises on some malformed headers) is that
record's rejection; a corrupt stretch of the file ends it (a WARC cannot be
resynchronised), keeping what came before.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from storytrace.errors import InputError
from storytrace.ingest.encoding import declared_charset, decode
from storytrace.ingest.limits import DEFAULT_LIMITS, Limits, size_text
from storytrace.ingest.load import Source, open_file
from storytrace.ingest.records import guarded
from storytrace.model import Article, Rejected


def read_warc(
    path: Source, source: str, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Article | Rejected]:
    """Articles from the HTML responses of a WARC file.

    warcio is asked for the WARC records only (``no_record_parse``): it parses a record's
    HTTP headers inside its iterator, where one malformed record (a response without
    WARC-Target-URI) would end the whole file. The headers are parsed here instead, one
    record at a time, so such a record is rejected and the next one read.
    """
    from warcio.archiveiterator import ArchiveIterator

    with open_file(path) as handle:
        records = ArchiveIterator(handle, no_record_parse=True)
        n = 0
        while True:
            try:
                record = next(records)
            except StopIteration:
                return
            except Exception as exc:
                detail = " ".join(str(exc).split())[:160] or type(exc).__name__
                yield Rejected(
                    f"{source}#{n + 1}", f"corrupt WARC data, rest of file skipped ({detail})"
                )
                return
            if record.rec_type != "response":
                continue
            n += 1
            item = guarded(
                f"{source}#{n}", lambda record=record, n=n: _page(record, source, n, limits)
            )
            if item is not None:
                yield item


def _page(record: object, source: str, n: int, limits: Limits) -> Article | Rejected | None:
    """One response record as an Article; None for a response that is not HTML."""
    from warcio.statusandheaders import StatusAndHeadersParser

    url = record.rec_headers.get_header("WARC-Target-URI")  # type: ignore[attr-defined]
    url = url.strip() if isinstance(url, str) and url.strip() else None
    where = f"{source}#{n}" if not url else f"{source}#{n} {url[:300]}"
    declared = (record.content_type or "application/http").lower()  # type: ignore[attr-defined]
    if "http" not in declared:
        return None  # a resource record (a screenshot, a PDF) or DNS, not an HTTP response
    try:
        headers = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1"], verify=False).parse(
            record.raw_stream  # type: ignore[attr-defined]
        )
    except (EOFError, ValueError) as exc:
        return Rejected(where, f"malformed HTTP headers in WARC record ({exc})")
    record.http_headers = headers  # type: ignore[attr-defined]
    kind = (headers.get_header("Content-Type") or "").lower()
    if "html" not in kind:
        return None
    cap = limits.max_record_bytes
    try:
        body = record.content_stream().read(cap + 1)  # type: ignore[attr-defined]
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        return Rejected(where, f"corrupt WARC record ({exc})")
    if len(body) > cap:
        return Rejected(where, f"page larger than {size_text(cap)} (raise with --max-record-mb)")
    from storytrace.ingest.html import parse_html

    declared = _charset_of(kind) or declared_charset(body)
    try:
        article = parse_html(decode(body, declared), f"{source}#{n}", url)
    except InputError as exc:
        return Rejected(where, str(exc))
    return article


def _charset_of(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None
